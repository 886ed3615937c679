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
            [node.MqttEndPoint], deviceIds.Select(id => (id, (string?)tokens[id].Token)).ToList(), options, node.Process.CpuTime, options.Rate);

        report.Add(Name, "acked_per_second", result.AcknowledgedPerSecond, "msg/s");
        report.AddLatency(Name, string.Empty, result.Latency);
        report.Add(Name, "sends_skipped_at_in_flight_limit", result.Throttled);
        report.Add(Name, "refused", Report.Refusals(result.Refusals));
        report.Add(Name, "server_cpu_cores", result.ServerCpu.TotalSeconds / result.Seconds, "cores");
        report.Add(Name, "loadgen_cpu_cores", result.LoadCpu.TotalSeconds / result.Seconds, "cores");
    }
}
