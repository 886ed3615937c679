using System.Collections.Concurrent;
using System.Diagnostics;
using MQTTnet;
using MQTTnet.Protocol;
using Orleans.IoT.Benchmark.Hosting;
using Orleans.IoT.Benchmark.Load;

namespace Orleans.IoT.Benchmark.Scenarios;

/// <summary>N devices register and fall silent: how long after offline_after is each one marked offline?</summary>
public sealed class OfflineScenario : IScenario
{
    public string Name => "offline";

    public async Task RunAsync(BenchmarkOptions options, Report report)
    {
        var runId = RunIds.New();
        var deviceIds = Enumerable.Range(0, options.OfflineDevices).Select(i => $"{runId}-{i}").ToList();
        await using var node = await SystemNode.StartAsync(options, runId, [$"--Presence:OfflineAfterSeconds={options.OfflineAfterSeconds}"]);

        var offlineAt = new ConcurrentDictionary<string, long>(StringComparer.Ordinal);
        var all = new TaskCompletionSource();
        using var watcher = await node.ConnectOperatorAsync();
        watcher.ApplicationMessageReceivedAsync += e =>
        {
            var payload = e.ApplicationMessage.ConvertPayloadToString();
            if (payload.Contains("\"status\":\"offline\"", StringComparison.Ordinal))
            {
                var deviceId = e.ApplicationMessage.Topic["iot/events/presence/".Length..];
                offlineAt.TryAdd(deviceId, Stopwatch.GetTimestamp());
                if (offlineAt.Count >= deviceIds.Count)
                {
                    all.TrySetResult();
                }
            }

            return Task.CompletedTask;
        };
        await watcher.SubscribeAsync($"iot/events/presence/+", MqttQualityOfServiceLevel.AtLeastOnce);

        var registered = await node.RegisterAsync(deviceIds, TimeSpan.FromMinutes(5));
        try
        {
            await all.Task.WaitAsync(TimeSpan.FromSeconds(options.OfflineAfterSeconds + 60));
        }
        catch (TimeoutException)
        {
        }

        var lag = new LatencyHistogram();
        foreach (var (deviceId, at) in offlineAt)
        {
            if (registered.TryGetValue(deviceId, out var device))
            {
                var silentMicroseconds = (at - device.AnsweredAt) * 1_000_000 / Stopwatch.Frequency;
                lag.Record(silentMicroseconds - (options.OfflineAfterSeconds * 1_000_000L));
            }
        }

        report.Add(Name, "devices", deviceIds.Count);
        report.Add(Name, "offline_after_seconds", options.OfflineAfterSeconds, "s");
        report.Add(Name, "marked_offline", offlineAt.Count);
        report.Add(Name, "lag_after_offline_after_p50_ms", lag.ValueAt(50) / 1000.0, "ms");
        report.Add(Name, "lag_after_offline_after_p99_ms", lag.ValueAt(99) / 1000.0, "ms");
        report.Add(Name, "lag_after_offline_after_max_ms", lag.Max / 1000.0, "ms");
        report.Add(Name, "all_within_5s", offlineAt.Count == deviceIds.Count && lag.Max <= 5_000_000 ? "yes" : "no");
    }
}
