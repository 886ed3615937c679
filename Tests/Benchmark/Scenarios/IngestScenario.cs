using Npgsql;
using Orleans.IoT.Benchmark.Hosting;
using Orleans.IoT.Benchmark.Load;

namespace Orleans.IoT.Benchmark.Scenarios;

/// <summary>
/// QoS 1 sensor ingest: N devices, each on its own connection with K readings in flight, against a bare MQTTnet
/// broker (the reference), then the system, then the bare broker again; the ratio of the system to the mean of the
/// two reference runs is the headline. Running the reference on both sides of the system cancels most of the drift
/// of a shared machine, which moves absolute figures by ±15 % within minutes. The system is one node
/// (<see cref="OneNode"/>) or a cluster of silos and standalone gateways (<see cref="Cluster"/>).
/// </summary>
public sealed class IngestScenario : IScenario
{
    private readonly Func<BenchmarkOptions, string, Task<IIngestSystem>> _startSystem;
    private readonly bool _needsDurable;

    private IngestScenario(string name, Func<BenchmarkOptions, string, Task<IIngestSystem>> startSystem, bool needsDurable)
    {
        Name = name;
        _startSystem = startSystem;
        _needsDurable = needsDurable;
    }

    public string Name { get; }

    /// <summary><c>ingest</c>: the node, a silo with the gateway co-hosted, in one process.</summary>
    public static IngestScenario OneNode() =>
        new("ingest", async (options, runId) => await SystemNode.StartAsync(options, runId, []), needsDurable: false);

    /// <summary>
    /// <c>ingest-cluster</c>: 2 silos (<c>Gateway:CoHosted=false</c>) and 2 standalone gateways, each its own process,
    /// the devices split between the gateways; the system's CPU is the four processes' together.
    /// </summary>
    public static IngestScenario Cluster() =>
        new("ingest-cluster", async (options, runId) => await SystemCluster.StartAsync(options, runId, silos: 2, gateways: 2), needsDurable: true);

    public async Task RunAsync(BenchmarkOptions options, Report report)
    {
        if (_needsDurable && !options.Durable)
        {
            report.Add(Name, "skipped", "needs the durable profile: the silos cluster on Redis");
            return;
        }

        var runId = RunIds.New();
        var deviceIds = Enumerable.Range(0, options.Connections).Select(i => $"{runId}-{i}").ToList();
        report.Add(Name, "profile", options.Profile);
        report.Add(Name, "connections", options.Connections);
        report.Add(Name, "in_flight_per_connection", options.InFlight);
        report.Add(Name, "measured_seconds", options.DurationSeconds, "s");

        var bare = await RunBareAsync(options, deviceIds, report, "bare");

        IngestResult system;
        await using (var target = await _startSystem(options, runId))
        {
            report.Note(Name, target.Description);
            var tokens = await target.RegisterAsync(deviceIds, TimeSpan.FromMinutes(5));
            system = await IngestLoad.RunAsync(target.DeviceEndPoints, deviceIds.Select(id => (id, (string?)tokens[id].Token)).ToList(), options, target.CpuTime);
            Print(report, "system", system);
            report.Add(Name, "system_peak_memory_mb", target.PeakMemoryBytes() / 1048576.0, "MiB");
        }

        var bareAgain = await RunBareAsync(options, deviceIds, report, "bare_again");
        var reference = (bare.AcknowledgedPerSecond + bareAgain.AcknowledgedPerSecond) / 2;
        report.Add(Name, "bare_reference_per_second", reference, "msg/s");
        report.Add(Name, "ratio_system_to_bare", reference > 0 ? system.AcknowledgedPerSecond / reference : 0);

        if (options.Durable)
        {
            var rows = await CountRowsAsync(options.Postgres, runId);
            report.Add(Name, "rows_in_postgres", rows);
            report.Add(Name, "readings_acknowledged", system.ReadingsAcknowledged);
            var unanswered = system.Unanswered;
            var equal = rows == system.ReadingsAcknowledged;
            report.Add(Name, "rows_equal_acks", equal
                ? "yes"
                : rows >= system.ReadingsAcknowledged && rows <= system.ReadingsAcknowledged + unanswered
                    ? $"no: {rows - system.ReadingsAcknowledged} more rows, all among {unanswered} readings whose ack never arrived"
                    : "NO: acknowledged readings are missing or doubled");
        }
    }

    private async Task<IngestResult> RunBareAsync(BenchmarkOptions options, List<string> deviceIds, Report report, string side)
    {
        var port = SystemNode.FreePort();
        await using var broker = ChildProcess.Start("bare broker", "dotnet", [typeof(IngestScenario).Assembly.Location, "bare-broker", "--port", port.ToString()]);
        await broker.WaitForPortAsync(port, TimeSpan.FromSeconds(30));
        var result = await IngestLoad.RunAsync([new(System.Net.IPAddress.Loopback, port)], deviceIds.Select(id => (id, (string?)null)).ToList(), options, broker.CpuTime);
        Print(report, side, result);
        report.Add(Name, $"{side}_peak_memory_mb", broker.PeakMemoryBytes() / 1048576.0, "MiB");
        return result;
    }

    private void Print(Report report, string side, IngestResult result)
    {
        report.Add(Name, $"{side}_acked_per_second", result.AcknowledgedPerSecond, "msg/s");
        report.AddLatency(Name, $"{side}_", result.Latency);
        report.Add(Name, $"{side}_connections_failed", result.ConnectFailures.Values.Sum());
        report.Add(Name, $"{side}_connections_dropped", result.Disconnected);
        report.Add(Name, $"{side}_refused", Report.Refusals(result.Refusals));
        report.Add(Name, $"{side}_server_cpu_cores", result.ServerCpu.TotalSeconds / result.Seconds, "cores");
        report.Add(Name, $"{side}_loadgen_cpu_cores", result.LoadCpu.TotalSeconds / result.Seconds, "cores");
        if (result.AcknowledgedInWindow > 0)
        {
            report.Add(Name, $"{side}_server_cpu_us_per_msg", result.ServerCpu.TotalMicroseconds / result.AcknowledgedInWindow, "µs");
            report.Add(Name, $"{side}_loadgen_cpu_us_per_msg", result.LoadCpu.TotalMicroseconds / result.AcknowledgedInWindow, "µs");
        }
    }

    private static async Task<long> CountRowsAsync(string connectionString, string runId)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT count(*) FROM sensor_readings WHERE device_id LIKE $1", connection);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = runId + "-%" });
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
