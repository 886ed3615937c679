using System.Diagnostics;
using System.Net;

namespace Orleans.IoT.Benchmark.Load;

/// <summary>Drives N simulated devices against one broker endpoint or several and gathers what they saw.</summary>
public static class IngestLoad
{
    /// <summary>Runs the devices against <paramref name="servers"/>, spread over them in turn (device i connects to server i mod n).</summary>
    public static async Task<IngestResult> RunAsync(
        IReadOnlyList<IPEndPoint> servers,
        IReadOnlyList<(string DeviceId, string? Token)> devices,
        BenchmarkOptions options,
        Func<TimeSpan> serverCpu,
        double totalMessagesPerSecond = 0,
        bool tokenInPayload = false)
    {
        var connections = new List<LoadConnection>(devices.Count);
        var failures = new Dictionary<string, int>();
        await Parallel.ForEachAsync(devices.Select((device, index) => (device, Server: servers[index % servers.Count])), new ParallelOptions { MaxDegreeOfParallelism = 100 }, async (next, ct) =>
        {
            var (device, server) = next;
            var (connection, error) = await LoadConnection.OpenAsync(server, SourceAddress(connections.Count), device.DeviceId, device.DeviceId, device.Token ?? "x", ct);
            if (tokenInPayload && device.Token is not null)
            {
                connection?.CarryTokenInPayload(device.Token);
            }

            lock (connections)
            {
                if (connection is not null)
                {
                    connections.Add(connection);
                }
                else
                {
                    failures[error!] = failures.GetValueOrDefault(error!) + 1;
                }
            }
        });

        var window = new MeasurementWindow();
        using var stop = new CancellationTokenSource();
        var perConnection = totalMessagesPerSecond > 0 && connections.Count > 0 ? totalMessagesPerSecond / connections.Count : 0;
        var paced = perConnection > 0;
        var running = connections.Select(c => Task.Run(() => c.RunIngestAsync(options.InFlight, options.HeartbeatEvery, window, stop.Token, paced))).ToList();
        if (paced)
        {
            running.Add(Pacer.RunAsync(connections, perConnection, options.InFlight, options.HeartbeatEvery, stop.Token));
        }

        await Task.Delay(TimeSpan.FromSeconds(options.WarmupSeconds));

        var self = Process.GetCurrentProcess();
        var serverCpuBefore = serverCpu();
        self.Refresh();
        var selfCpuBefore = self.TotalProcessorTime;
        window.Open();
        await Task.Delay(TimeSpan.FromSeconds(options.DurationSeconds));
        window.Close();
        var serverCpuUsed = serverCpu() - serverCpuBefore;
        self.Refresh();
        var selfCpuUsed = self.TotalProcessorTime - selfCpuBefore;

        await stop.CancelAsync();
        await Task.WhenAll(running);

        var result = new IngestResult(window.Seconds, serverCpuUsed, selfCpuUsed, failures) { OpenedAt = window.OpenedAt, ClosedAt = window.ClosedAt };
        foreach (var connection in connections)
        {
            result.Add(connection.Stats);
            connection.Dispose();
        }

        return result;
    }

    /// <summary>Beyond one source address's ephemeral ports, spreads connections over 127.0.0.2, 127.0.0.3, ...</summary>
    private static IPAddress? SourceAddress(int index) =>
        index < 25_000 ? null : new IPAddress([127, 0, 0, (byte)(2 + (index / 25_000))]);
}

public sealed class IngestResult(double seconds, TimeSpan serverCpu, TimeSpan loadCpu, Dictionary<string, int> connectFailures)
{
    public double Seconds { get; } = seconds;

    public TimeSpan ServerCpu { get; } = serverCpu;

    public TimeSpan LoadCpu { get; } = loadCpu;

    public Dictionary<string, int> ConnectFailures { get; } = connectFailures;

    public LatencyHistogram Latency { get; } = new();

    public Dictionary<byte, long> Refusals { get; } = [];

    public long AcknowledgedInWindow { get; private set; }

    public long ReadingsAcknowledged { get; private set; }

    public long Unanswered { get; private set; }

    public long Sent { get; private set; }

    public long Throttled { get; private set; }

    public int Connections { get; private set; }

    public int Disconnected { get; private set; }

    public double AcknowledgedPerSecond => AcknowledgedInWindow / Seconds;

    /// <summary>When the measured window opened and closed, by the wall clock.</summary>
    public DateTimeOffset OpenedAt { get; init; }

    public DateTimeOffset ClosedAt { get; init; }

    public void Add(ConnectionStats stats)
    {
        Connections++;
        Latency.Add(stats.Latency);
        AcknowledgedInWindow += stats.AcknowledgedInWindow;
        ReadingsAcknowledged += stats.ReadingsAcknowledged;
        Unanswered += stats.Unanswered;
        Sent += stats.Sent;
        Throttled += stats.Throttled;
        Disconnected += stats.Disconnected ? 1 : 0;
        foreach (var (reason, count) in stats.Refusals)
        {
            Refusals[reason] = Refusals.GetValueOrDefault(reason) + count;
        }
    }
}
