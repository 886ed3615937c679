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
        await PostgresFleetCatalogTests.StoreAsync(catalog, entries);
        return catalog;
    }

    public void Dispose() => _dataSource.Dispose();
}
