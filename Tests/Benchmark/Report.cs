using System.Globalization;
using System.Text.Json;

namespace Orleans.IoT.Benchmark;

/// <summary>Figures of a run: printed as a table as they come, and all together as one JSON line at the end.</summary>
public sealed class Report
{
    private readonly Dictionary<string, Dictionary<string, object>> _scenarios = [];

    public void Add(string scenario, string name, object value, string? unit = null)
    {
        if (!_scenarios.TryGetValue(scenario, out var figures))
        {
            figures = [];
            _scenarios[scenario] = figures;
            Console.WriteLine();
            Console.WriteLine($"== {scenario}");
        }

        figures[name] = value;
        var text = value switch
        {
            double d => d.ToString(d >= 100 ? "N0" : "N2", CultureInfo.InvariantCulture),
            long or int => string.Format(CultureInfo.InvariantCulture, "{0:N0}", value),
            _ => value.ToString(),
        };
        Console.WriteLine($"  {name,-44} {text,16} {unit}");
    }

    public void Note(string scenario, string text)
    {
        var count = _scenarios.TryGetValue(scenario, out var figures) ? figures.Keys.Count(k => k.StartsWith("note", StringComparison.Ordinal)) : 0;
        Add(scenario, $"note{count + 1}", text);
    }

    /// <summary>The latency percentiles of <paramref name="histogram"/> (microseconds), as <c>{prefix}latency_p50_ms</c> and so on.</summary>
    public void AddLatency(string scenario, string prefix, Load.LatencyHistogram histogram)
    {
        Add(scenario, $"{prefix}latency_p50_ms", histogram.ValueAt(50) / 1000.0, "ms");
        Add(scenario, $"{prefix}latency_p90_ms", histogram.ValueAt(90) / 1000.0, "ms");
        Add(scenario, $"{prefix}latency_p99_ms", histogram.ValueAt(99) / 1000.0, "ms");
        Add(scenario, $"{prefix}latency_p999_ms", histogram.ValueAt(99.9) / 1000.0, "ms");
        Add(scenario, $"{prefix}latency_max_ms", histogram.Max / 1000.0, "ms");
    }

    /// <summary>The median, 99th percentile and maximum of <paramref name="histogram"/> (microseconds), as <c>{prefix}p50_ms</c> and so on.</summary>
    public void AddSpread(string scenario, string prefix, Load.LatencyHistogram histogram)
    {
        Add(scenario, $"{prefix}p50_ms", histogram.ValueAt(50) / 1000.0, "ms");
        Add(scenario, $"{prefix}p99_ms", histogram.ValueAt(99) / 1000.0, "ms");
        Add(scenario, $"{prefix}max_ms", histogram.Max / 1000.0, "ms");
    }

    /// <summary>Refusals by MQTT reason code, e.g. <c>0x97:12</c>, or <c>none</c>.</summary>
    public static string Refusals(IReadOnlyDictionary<byte, long> refusals) =>
        refusals.Count == 0 ? "none" : string.Join(", ", refusals.Select(r => $"0x{r.Key:x2}:{r.Value}"));

    public string ToJson() => JsonSerializer.Serialize(_scenarios);
}
