using Orleans.IoT.Grains.Ports;
using Orleans.IoT.Silo.Adapters.Postgres;
using Orleans.IoT.Tests.Adapters;

namespace Orleans.IoT.Tests.Durable;

/// <summary>The device list's contract against the durable profile's PostgreSQL (its schema made by the node).</summary>
[Collection(DurableCollection.Name)]
public sealed class PostgresDeviceDirectoryTests(DurableNodeFixture node) : DeviceDirectoryContract, IDisposable
{
    private readonly Npgsql.NpgsqlDataSource _dataSource = node.CreateDataSource();

    protected override async Task<IDeviceDirectory> StoreAsync(IReadOnlyList<DeviceCatalogEntry> entries)
    {
        var catalog = new PostgresDeviceCatalog(_dataSource, new RecordingLogger<PostgresDeviceCatalog>());
        foreach (var entry in entries)
        {
            await catalog.UpsertAsync(entry, CancellationToken.None);
        }

        await catalog.StartAsync(CancellationToken.None);
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await catalog.StopAsync(deadline.Token);
        Assert.Equal(0, catalog.Queued);
        return catalog;
    }

    public void Dispose() => _dataSource.Dispose();
}
