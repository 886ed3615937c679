using System.Collections.Immutable;
using Orleans.IoT.Tests.Durable;
using Orleans.IoT.Tests.EndToEnd;

namespace Orleans.IoT.Tests.Cluster;

/// <summary>
/// Two gateways of one cluster on real Redis (clustering, grain state) and PostgreSQL (history): gateway B co-hosted in
/// a silo running in the test process, and gateway A a standalone gateway in its own process (Orleans.IoT.GatewayHost),
/// an Orleans client of that silo. Directory timings are shortened so that expiry shows within seconds.
/// </summary>
public sealed class TwoGatewaysFixture : IAsyncLifetime
{
    public const int ExpirySeconds = 3;

    private readonly string _redis = DurableNodeFixture.Required(DurableNodeFixture.RedisVariable, "Redis");
    // A database of its own: the device catalog is not yet kept per service, and this cluster's presence recovery would
    // otherwise wake, in this cluster, devices another test's cluster watches in the shared catalog.
    private readonly string _postgres = new Npgsql.NpgsqlConnectionStringBuilder(DurableNodeFixture.Required(DurableNodeFixture.PostgresVariable, "PostgreSQL"))
    {
        Database = "orleans_iot_two_gateways",
    }.ConnectionString;
    private readonly string _cluster = $"gateways-{Guid.NewGuid():N}";
    private readonly SiloWithGateway _silo;
    private NodeProcess? _gatewayA;

    public TwoGatewaysFixture()
    {
        _silo = new SiloWithGateway(this);
    }

    public string GatewayAId { get; } = $"gateway-a-{Guid.NewGuid():N}";

    public string GatewayBId { get; } = $"gateway-b-{Guid.NewGuid():N}";

    /// <summary>The standalone gateway, in its own process.</summary>
    public NodeProcess GatewayA => _gatewayA!;

    /// <summary>The silo with gateway B co-hosted, in this process.</summary>
    public NodeFixture SiloB => _silo;

    public async Task InitializeAsync()
    {
        await _silo.InitializeAsync();
        _gatewayA = await StartGatewayAsync(GatewayAId);
    }

    public async Task DisposeAsync()
    {
        if (_gatewayA is not null)
        {
            await _gatewayA.DisposeAsync();
        }

        await _silo.DisposeAsync();
    }

    /// <summary>A standalone gateway of this cluster with id <paramref name="gatewayId"/>, once it is ready and in the gateway directory.</summary>
    public async Task<NodeProcess> StartGatewayAsync(string gatewayId)
    {
        var gateway = await NodeProcess.StartGatewayAsync(
        [
            "--Orleans:Clustering=Redis", $"--Redis:ConnectionString={_redis}",
            $"--Orleans:ClusterId={_cluster}", $"--Orleans:ServiceId={_cluster}",
            $"--Gateway:Id={gatewayId}", "--Gateway:RenewSeconds=1",
            "--Logging:LogLevel:Default=Warning",
        ]);
        try
        {
            await WaitForGatewaysAsync(gateways => gateways.Any(g => g.Id == gatewayId), $"gateway {gatewayId} registered");
            await WaitUntilReadyAsync(gateway);
        }
        catch
        {
            await gateway.DisposeAsync();
            throw;
        }

        return gateway;
    }

    /// <summary>Waits until the gateway directory satisfies <paramref name="condition"/>; fails naming <paramref name="what"/>.</summary>
    public async Task WaitForGatewaysAsync(Func<ImmutableArray<GatewayRegistration>, bool> condition, string what, TimeSpan? timeout = null)
    {
        var directory = SiloB.Grains.GetGrain<IGatewayDirectoryGrain>(IGatewayDirectoryGrain.Key);
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (!condition(await directory.GetGateways()))
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for: {what}");
            await Task.Delay(100);
        }
    }

    private static async Task WaitUntilReadyAsync(NodeProcess gateway)
    {
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{gateway.HttpPort}"), Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            try
            {
                using var ready = await http.GetAsync("/health/ready");
                if (ready.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            Assert.True(DateTime.UtcNow < deadline, $"gateway on {gateway.HttpPort} ready:\n{string.Join('\n', gateway.Log())}");
            await Task.Delay(100);
        }
    }

    private sealed class SiloWithGateway(TwoGatewaysFixture owner) : NodeFixture
    {
        protected override IEnumerable<string> ExtraArguments =>
        [
            "--Orleans:Clustering=Redis", "--Storage:Provider=Redis", "--History:Provider=Postgres",
            $"--Redis:ConnectionString={owner._redis}", $"--Postgres:ConnectionString={owner._postgres}",
            $"--Orleans:ClusterId={owner._cluster}", $"--Orleans:ServiceId={owner._cluster}",
            $"--Gateway:Id={owner.GatewayBId}", "--Gateway:RenewSeconds=1",
            $"--Gateway:ExpirySeconds={ExpirySeconds}", "--Gateway:DirectoryRefreshMilliseconds=200",
        ];
    }
}

[CollectionDefinition(Name)]
public sealed class TwoGatewaysCollection : ICollectionFixture<TwoGatewaysFixture>
{
    public const string Name = "two-gateways";
}
