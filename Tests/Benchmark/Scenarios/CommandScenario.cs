using System.Net;
using Orleans.IoT.Benchmark.Hosting;
using Orleans.IoT.Benchmark.Load;

namespace Orleans.IoT.Benchmark.Scenarios;

/// <summary>
/// Operator command → device: how long from an operator's QoS 2 publish until the device's socket has the command,
/// at each rate of <c>--rate</c> (default 50 commands/s, the DESIGN bar: p50 ≤ 2 ms, p99 ≤ 10 ms, and 1,000/s), on
/// an otherwise idle system. The same load first runs through a bare MQTTnet broker that just routes the operator's
/// publish to the device's subscription (the reference: the transport's own latency), then through the node, where
/// the command goes gateway → device grain (stored, audited) → back out through the broker to the device. Each device
/// answers each command with <c>succeeded</c> on its result route, as a device does (on the bare broker that publish
/// reaches no one), so that the node's command book per device stays within its bound; <c>--command-results no</c>
/// leaves every command open instead.
/// </summary>
public sealed class CommandScenario : IScenario
{
    /// <summary>A command its device has not received this long after it was sent counts as lost.</summary>
    public static readonly TimeSpan LostAfter = TimeSpan.FromSeconds(5);

    public string Name => "commands";

    public async Task RunAsync(BenchmarkOptions options, Report report)
    {
        var runId = RunIds.New();
        var deviceIds = Enumerable.Range(0, options.CommandDevices).Select(i => $"{runId}-{i}").ToList();
        report.Add(Name, "profile", options.Profile);
        report.Add(Name, "devices", options.CommandDevices);
        report.Add(Name, "operator_connections", options.Operators);
        report.Add(Name, "rates", string.Join(", ", options.CommandRates), "commands/s");
        report.Add(Name, "measured_seconds_per_rate", options.DurationSeconds, "s");
        report.Add(Name, "lost_after_ms", LostAfter.TotalMilliseconds, "ms");
        report.Add(Name, "devices_report_results", options.CommandResults ? "yes" : "no");

        var bare = new Dictionary<int, CommandLevelResult>();
        var port = SystemNode.FreePort();
        await using (var broker = ChildProcess.Start("bare broker", "dotnet", [typeof(CommandScenario).Assembly.Location, "bare-broker", "--port", port.ToString(), "--route"]))
        {
            await broker.WaitForPortAsync(port, TimeSpan.FromSeconds(30));
            using var load = await CommandLoad.ConnectAsync(
                new IPEndPoint(IPAddress.Loopback, port),
                [.. deviceIds.Select(id => (id, (string?)null))],
                [.. Enumerable.Range(0, options.Operators).Select(_ => ("operator", "x"))],
                throughSystem: false,
                options.CommandResults);
            Connected(report, "bare", load);
            foreach (var rate in options.CommandRates)
            {
                bare[rate] = await load.RunLevelAsync(rate, options.WarmupSeconds, options.DurationSeconds, LostAfter, broker.CpuTime);
                Print(report, "bare", bare[rate]);
            }

            Unexpected(report, "bare", load);
        }

        var system = new Dictionary<int, CommandLevelResult>();
        await using (var node = await SystemNode.StartAsync(options, runId, []))
        {
            report.Note(Name, "node settings: " + string.Join(' ', SystemNode.Settings(options, runId, []).Where(s => !s.Contains("ConnectionString", StringComparison.Ordinal))));
            var tokens = await node.RegisterAsync(deviceIds, TimeSpan.FromMinutes(5));
            using var load = await CommandLoad.ConnectAsync(
                node.MqttEndPoint,
                [.. deviceIds.Select(id => (id, (string?)tokens[id].Token))],
                [.. Enumerable.Range(0, options.Operators).Select(_ => (SystemNode.OperatorName, node.OperatorKey))],
                throughSystem: true,
                options.CommandResults);
            Connected(report, "system", load);
            foreach (var rate in options.CommandRates)
            {
                system[rate] = await load.RunLevelAsync(rate, options.WarmupSeconds, options.DurationSeconds, LostAfter, node.Process.CpuTime);
                Print(report, "system", system[rate]);
            }

            Unexpected(report, "system", load);

            report.Add(Name, "system_peak_memory_mb", node.Process.PeakMemoryBytes() / 1048576.0, "MiB");
            if (!options.CommandResults)
            {
                var open = (options.WarmupSeconds + options.DurationSeconds) * options.CommandRates.Sum() / Math.Max(1, load.Devices);
                report.Note(Name, $"--command-results no: each command stays open (sent) for its time to live, so each device ends with about {open:N0} open commands in its state, all written at every command");
            }
        }

        foreach (var rate in options.CommandRates)
        {
            var (s, b) = (system[rate], bare[rate]);
            report.Add(Name, $"added_at_{rate}_p50_ms", (s.Latency.ValueAt(50) - b.Latency.ValueAt(50)) / 1000.0, "ms");
            report.Add(Name, $"added_at_{rate}_p99_ms", (s.Latency.ValueAt(99) - b.Latency.ValueAt(99)) / 1000.0, "ms");
            if (rate == 50)
            {
                var met = s.Received > 0 && s.Lost == 0 && s.Latency.ValueAt(50) <= 2_000 && s.Latency.ValueAt(99) <= 10_000;
                report.Add(Name, "bar_at_50_p50_2ms_p99_10ms", met ? "met" : "not met");
            }
        }
    }

    private void Connected(Report report, string side, CommandLoad load)
    {
        report.Add(Name, $"{side}_devices_subscribed", load.Devices);
        report.Add(Name, $"{side}_operators_connected", load.Operators);
        report.Add(Name, $"{side}_connect_failures", load.ConnectFailures.Count == 0 ? "none" : string.Join(", ", load.ConnectFailures.Select(f => $"{f.Key}: {f.Value}")));
    }

    private void Unexpected(Report report, string side, CommandLoad load)
    {
        if (load.Unexpected > 0)
        {
            report.Add(Name, $"{side}_messages_not_a_sent_command", load.Unexpected);
        }

        if (load.ResultsRefused > 0)
        {
            report.Add(Name, $"{side}_results_refused", load.ResultsRefused);
        }
    }

    private void Print(Report report, string side, CommandLevelResult result)
    {
        var prefix = $"{side}_at_{result.Rate}_";
        report.Add(Name, $"{prefix}sent_per_second", result.SentPerSecond, "cmd/s");
        report.Add(Name, $"{prefix}sent", result.Sent);
        report.Add(Name, $"{prefix}received", result.Received);
        report.AddLatency(Name, prefix, result.Latency);
        report.Add(Name, $"{prefix}lost", result.Lost);
        if (result.Late > 0)
        {
            report.Add(Name, $"{prefix}lost_arrived_late", result.Late);
        }

        report.Add(Name, $"{prefix}refused", Report.Refusals(result.Refusals));
        report.Add(Name, $"{prefix}duplicates", result.Duplicates);
        if (result.SendFailures > 0)
        {
            report.Add(Name, $"{prefix}send_failures", result.SendFailures);
        }

        report.Add(Name, $"{prefix}server_cpu_cores", result.ServerCpu.TotalSeconds / result.Seconds, "cores");
        report.Add(Name, $"{prefix}loadgen_cpu_cores", result.LoadCpu.TotalSeconds / result.Seconds, "cores");
    }
}
