using System.Net;
using Npgsql;
using Orleans.IoT.Benchmark.Hosting;
using Orleans.IoT.Benchmark.Load;

namespace Orleans.IoT.Benchmark.Scenarios;

/// <summary>
/// QoS 1 ingest through an external broker (<c>Mqtt:Mode=External</c>): devices publish to Mosquitto with their token in
/// the payload, paced at <c>--rate</c> readings/s over all connections, and the node takes the readings from it through
/// its shared subscription. Behind a broker the device's PUBACK is the broker's, given before the node has the reading,
/// and nothing slows the devices down when the node falls behind: the broker queues. So the system's figure is what
/// PostgreSQL committed in the measured window (rows by <c>received_at</c>), and the backlog is what the broker had
/// acknowledged but the node not yet stored when the window closed; an unpaced flood would measure the broker's deep
/// queue instead (Mosquitto slowed to a few hundred deliveries a second behind a queue of a million). The reference is
/// Mosquitto alone acknowledging the unpaced load, before and after.
/// </summary>
public sealed class ExternalIngestScenario : IScenario
{
    public string Name => "ingest-external";

    public async Task RunAsync(BenchmarkOptions options, Report report)
    {
        if (!options.Durable)
        {
            report.Add(Name, "skipped", "needs the durable profile: the stored rows are the measure");
            return;
        }

        var runId = RunIds.New();
        var deviceIds = Enumerable.Range(0, options.Connections).Select(i => $"{runId}-{i}").ToList();
        report.Add(Name, "profile", options.Profile);
        report.Add(Name, "connections", options.Connections);
        report.Add(Name, "in_flight_per_connection", options.InFlight);
        report.Add(Name, "measured_seconds", options.DurationSeconds, "s");
        report.Add(Name, "offered_per_second", options.Rate, "msg/s");

        var bare = await RunBareAsync(options, deviceIds, report, "bare_mosquitto");

        double stored;
        var (broker, port) = await MosquittoProcess.StartAsync();
        await using (broker)
        await using (var node = await SystemNode.StartAsync(options, runId, [], new IPEndPoint(IPAddress.Loopback, port)))
        {
            report.Note(Name, "node settings: " + string.Join(' ', SystemNode.Settings(options, runId, []).Where(s => !s.Contains("ConnectionString", StringComparison.Ordinal))) + " --Mqtt:Mode=External");
            var tokens = await node.RegisterAsync(deviceIds, TimeSpan.FromMinutes(5));
            var load = await IngestLoad.RunAsync(
                [node.MqttEndPoint],
                deviceIds.Select(id => (id, (string?)tokens[id].Token)).ToList(),
                options,
                () => node.Process.CpuTime() + broker.CpuTime(),
                options.Rate,
                tokenInPayload: true);
            // A batch begun before the window closed may commit just after: its rows carry its start time.
            await Task.Delay(TimeSpan.FromSeconds(2));
            var (inWindow, storedByClose) = await CountRowsAsync(options.Postgres, runId, load.OpenedAt, load.ClosedAt);
            stored = inWindow / load.Seconds;
            report.Add(Name, "broker_acked_per_second", load.AcknowledgedPerSecond, "msg/s");
            report.Add(Name, "system_stored_per_second", stored, "msg/s");
            report.Add(Name, "system_backlog_at_close", Math.Max(0, load.ReadingsAcknowledged - storedByClose));
            report.Add(Name, "system_server_cpu_cores", load.ServerCpu.TotalSeconds / load.Seconds, "cores");
            if (inWindow > 0)
            {
                report.Add(Name, "system_server_cpu_us_per_msg", load.ServerCpu.TotalMicroseconds / inWindow, "µs");
            }

            report.Add(Name, "system_peak_memory_mb", node.Process.PeakMemoryBytes() / 1048576.0, "MiB");
            report.Add(Name, "broker_peak_memory_mb", broker.PeakMemoryBytes() / 1048576.0, "MiB");
        }

        var bareAgain = await RunBareAsync(options, deviceIds, report, "bare_mosquitto_again");
        var reference = (bare + bareAgain) / 2;
        report.Add(Name, "bare_reference_per_second", reference, "msg/s");
        report.Add(Name, "ratio_system_to_bare", reference > 0 ? stored / reference : 0);
    }

    /// <summary>Mosquitto alone, nobody subscribed: what acknowledging the load costs the broker.</summary>
    private async Task<double> RunBareAsync(BenchmarkOptions options, List<string> deviceIds, Report report, string side)
    {
        var (broker, port) = await MosquittoProcess.StartAsync();
        await using (broker)
        {
            var result = await IngestLoad.RunAsync([new(IPAddress.Loopback, port)], deviceIds.Select(id => (id, (string?)null)).ToList(), options, broker.CpuTime);
            report.Add(Name, $"{side}_acked_per_second", result.AcknowledgedPerSecond, "msg/s");
            report.Add(Name, $"{side}_server_cpu_cores", result.ServerCpu.TotalSeconds / result.Seconds, "cores");
            return result.AcknowledgedPerSecond;
        }
    }

    /// <summary>This run's rows committed within the window, and all committed by its close.</summary>
    private static async Task<(long InWindow, long ByClose)> CountRowsAsync(string connectionString, string runId, DateTimeOffset opened, DateTimeOffset closed)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT count(*) FILTER (WHERE received_at >= $2), count(*) FROM sensor_readings WHERE device_id LIKE $1 AND received_at < $3", connection);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = runId + "-%" });
        command.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = opened.UtcDateTime });
        command.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = closed.UtcDateTime });
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        return (reader.GetInt64(0), reader.GetInt64(1));
    }
}
