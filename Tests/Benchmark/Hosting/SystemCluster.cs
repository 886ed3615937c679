using System.Net;

namespace Orleans.IoT.Benchmark.Hosting;

/// <summary>
/// The system as a cluster of the durable profile: silos without a gateway and standalone gateways (GatewayHost), each
/// its own process, on Redis clustering and grain state and PostgreSQL history. The devices are spread over the
/// gateways' brokers; the CPU and memory are every process's, summed.
/// </summary>
public sealed class SystemCluster : IIngestSystem
{
    private readonly IReadOnlyList<ChildProcess> _silos;
    private readonly IReadOnlyList<SystemNode> _gateways;

    private SystemCluster(IReadOnlyList<ChildProcess> silos, IReadOnlyList<SystemNode> gateways, string description)
    {
        _silos = silos;
        _gateways = gateways;
        Description = description;
    }

    public IReadOnlyList<IPEndPoint> DeviceEndPoints => [.. _gateways.Select(g => g.MqttEndPoint)];

    public string Description { get; }

    /// <summary>
    /// Starts <paramref name="silos"/> silos and <paramref name="gateways"/> gateways of the cluster <paramref name="runId"/>
    /// (durable profile only), once all are ready.
    /// </summary>
    public static async Task<SystemCluster> StartAsync(BenchmarkOptions options, string runId, int silos, int gateways)
    {
        // All at once, as a rollout starts them: a gateway retries until a silo answers.
        string[] gatewaySettings = ["--Orleans:ConnectRetrySeconds=1"];
        var siloStarts = Enumerable.Range(1, silos).Select(i => SystemNode.StartSiloAsync(options, runId, $"silo {i}", [])).ToList();
        var gatewayStarts = Enumerable.Range(1, gateways).Select(i => SystemNode.StartGatewayAsync(options, runId, $"gateway {i}", gatewaySettings)).ToList();
        try
        {
            await Task.WhenAll(siloStarts.Cast<Task>().Concat(gatewayStarts));
        }
        catch
        {
            // Those that failed stopped themselves; the others are stopped here.
            await StopAsync(
                [.. gatewayStarts.Where(t => t.IsCompletedSuccessfully).Select(t => t.Result.Process)],
                [.. siloStarts.Where(t => t.IsCompletedSuccessfully).Select(t => t.Result)]);
            throw;
        }

        var description =
            $"{silos} silos and {gateways} standalone gateways, each its own process; " +
            $"silo settings: {SystemNode.Printable(SystemNode.Settings(options, runId, [], SystemNode.Role.Silo))}; " +
            $"gateway settings: {SystemNode.Printable(SystemNode.Settings(options, runId, gatewaySettings, SystemNode.Role.Gateway))}";
        return new SystemCluster([.. siloStarts.Select(t => t.Result)], [.. gatewayStarts.Select(t => t.Result)], description);
    }

    /// <summary>Registers the devices through the first gateway: the registrations are the cluster's, whichever gateway a device then uses.</summary>
    public Task<Dictionary<string, (string Token, long AnsweredAt)>> RegisterAsync(IReadOnlyList<string> deviceIds, TimeSpan timeout) =>
        _gateways[0].RegisterAsync(deviceIds, timeout);

    public TimeSpan CpuTime() => Processes().Aggregate(TimeSpan.Zero, (sum, p) => sum + p.CpuTime());

    public long PeakMemoryBytes() => Processes().Sum(p => p.PeakMemoryBytes());

    public ValueTask DisposeAsync() => new(StopAsync([.. _gateways.Select(g => g.Process)], _silos));

    private IEnumerable<ChildProcess> Processes() => _gateways.Select(g => g.Process).Concat(_silos);

    /// <summary>The gateways first, since they are the silos' clients; each tier at once. The silos are stopped even when a gateway's stop throws.</summary>
    private static async Task StopAsync(IReadOnlyList<ChildProcess> gateways, IReadOnlyList<ChildProcess> silos)
    {
        try
        {
            await Task.WhenAll(gateways.Select(g => g.DisposeAsync().AsTask()));
        }
        finally
        {
            await Task.WhenAll(silos.Select(s => s.DisposeAsync().AsTask()));
        }
    }
}
