using System.Collections.Concurrent;
using Orleans.IoT.Grains.Ports;

namespace Orleans.IoT.Silo.Adapters.Memory;

/// <summary>The device catalog kept in this process (the embedded default).</summary>
public sealed class InMemoryDeviceCatalog : IDeviceCatalog
{
    private readonly ConcurrentDictionary<string, DeviceCatalogEntry> _devices = new(StringComparer.Ordinal);

    public ValueTask UpsertAsync(DeviceCatalogEntry entry, CancellationToken cancellationToken)
    {
        _devices[entry.DeviceId] = entry;
        return ValueTask.CompletedTask;
    }

    public DeviceCatalogEntry? Find(string deviceId) => _devices.GetValueOrDefault(deviceId);
}
