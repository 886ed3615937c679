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

    public string ToJson() => JsonSerializer.Serialize(_scenarios);
}
