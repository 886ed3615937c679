using Orleans.IoT.Benchmark.Hosting;
using Orleans.IoT.Benchmark.Load;

namespace Orleans.IoT.Benchmark.Scenarios;

/// <summary>How many idle, authenticated devices one gateway holds, and what each costs it in memory.</summary>
public sealed class ConnectionsScenario : IScenario
{
    public string Name => "connections";

    public async Task RunAsync(BenchmarkOptions options, Report report)
    {
        var fileLimit = OpenFileLimit();
        var count = Math.Min(options.IdleConnections, fileLimit - 1000);
        report.Add(Name, "requested", options.IdleConnections);
        report.Add(Name, "open_file_limit_per_process", fileLimit);
        if (count < options.IdleConnections)
        {
            report.Note(Name, $"each process may open {fileLimit} files here and the limit cannot be raised, so one gateway holds at most about that many connections; measured {count}");
        }

        var runId = RunIds.New();
        var deviceIds = Enumerable.Range(0, count).Select(i => $"{runId}-{i}").ToList();
        await using var node = await SystemNode.StartAsync(options, runId, []);
        var tokens = await node.RegisterAsync(deviceIds, TimeSpan.FromMinutes(10));
        await Task.Delay(TimeSpan.FromSeconds(2));
        var before = node.Process.ResidentMemoryBytes();

        var connections = new List<LoadConnection>(count);
        var failures = 0;
        var started = System.Diagnostics.Stopwatch.StartNew();
        await Parallel.ForEachAsync(deviceIds.Select((id, i) => (id, i)), new ParallelOptions { MaxDegreeOfParallelism = 200 }, async (device, ct) =>
        {
            var source = device.i < 25_000 ? null : new System.Net.IPAddress([127, 0, 0, (byte)(2 + (device.i / 25_000))]);
            var (connection, _) = await LoadConnection.OpenAsync(node.MqttEndPoint, source, device.id, device.id, tokens[device.id].Token, ct);
            lock (connections)
            {
                if (connection is null)
                {
                    failures++;
                }
                else
                {
                    connections.Add(connection);
                }
            }
        });
        var connectSeconds = started.Elapsed.TotalSeconds;
        await Task.Delay(TimeSpan.FromSeconds(5));
        var after = node.Process.ResidentMemoryBytes();

        report.Add(Name, "connected", connections.Count);
        report.Add(Name, "failed", failures);
        report.Add(Name, "connects_per_second", connections.Count / connectSeconds, "conn/s");
        report.Add(Name, "gateway_memory_before_mb", before / 1048576.0, "MiB");
        report.Add(Name, "gateway_memory_connected_mb", after / 1048576.0, "MiB");
        if (connections.Count > 0)
        {
            var perConnection = (after - before) / (double)connections.Count;
            report.Add(Name, "memory_per_connection_kb", perConnection / 1024, "KiB");
            report.Add(Name, "projected_memory_100k_mb", (before + (perConnection * 100_000)) / 1048576.0, "MiB");
        }

        foreach (var connection in connections)
        {
            connection.Dispose();
        }
    }

    private static int OpenFileLimit()
    {
        foreach (var line in File.ReadLines("/proc/self/limits"))
        {
            if (line.StartsWith("Max open files", StringComparison.Ordinal))
            {
                return int.Parse(line["Max open files".Length..].Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries)[0]);
            }
        }

        return 1024;
    }
}
