using Orleans.IoT.Benchmark.Hosting;
using Orleans.IoT.Benchmark.Load;

namespace Orleans.IoT.Benchmark.Scenarios;

/// <summary>
/// Ingest at a fixed offered rate (default 10,000 readings/s over the same connections) to measure acknowledgement
/// latency below saturation: the bar is p99 ≤ 50 ms.
/// </summary>
public sealed class PacedIngestScenario : IScenario
{
    public string Name => "ingest-paced";

    public async Task RunAsync(BenchmarkOptions options, Report report)
    {
        var runId = RunIds.New();
        var deviceIds = Enumerable.Range(0, options.Connections).Select(i => $"{runId}-{i}").ToList();
        report.Add(Name, "profile", options.Profile);
        report.Add(Name, "connections", options.Connections);
        report.Add(Name, "offered_per_second", options.Rate, "msg/s");
        report.Add(Name, "max_in_flight_per_connection", options.InFlight);

        await using var node = await SystemNode.StartAsync(options, runId, []);
        var tokens = await node.RegisterAsync(deviceIds, TimeSpan.FromMinutes(5));
        var result = await IngestLoad.RunAsync(
            node.MqttEndPoint, deviceIds.Select(id => (id, (string?)tokens[id].Token)).ToList(), options, node.Process.CpuTime, options.Rate);

        report.Add(Name, "acked_per_second", result.AcknowledgedPerSecond, "msg/s");
        report.Add(Name, "latency_p50_ms", result.Latency.ValueAt(50) / 1000.0, "ms");
        report.Add(Name, "latency_p90_ms", result.Latency.ValueAt(90) / 1000.0, "ms");
        report.Add(Name, "latency_p99_ms", result.Latency.ValueAt(99) / 1000.0, "ms");
        report.Add(Name, "latency_p999_ms", result.Latency.ValueAt(99.9) / 1000.0, "ms");
        report.Add(Name, "latency_max_ms", result.Latency.Max / 1000.0, "ms");
        report.Add(Name, "sends_skipped_at_in_flight_limit", result.Throttled);
        report.Add(Name, "refused", string.Join(", ", result.Refusals.Select(r => $"0x{r.Key:x2}:{r.Value}")) is { Length: > 0 } refusals ? refusals : "none");
        report.Add(Name, "server_cpu_cores", result.ServerCpu.TotalSeconds / result.Seconds, "cores");
    }
}
