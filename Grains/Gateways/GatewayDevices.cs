namespace Orleans.IoT.Grains.Gateways;

/// <summary>
/// Which gateway holds the connection of each device whose grain is active on this silo (an online device's grain stays
/// active: its presence timer keeps it alive), so that when a gateway with an embedded broker leaves the directory
/// (<see cref="ClusterGateways"/>) its devices, whose connections died with it, are marked offline at once rather than
/// after <c>Presence:OfflineAfterSeconds</c> of silence.
/// </summary>
public sealed class GatewayDevices
{
    private readonly Dictionary<string, HashSet<string>> _byGateway = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    /// <summary>The device's connection moved from one gateway to another (either may be none).</summary>
    public void Moved(string deviceId, string? from, string? to)
    {
        if (from == to)
        {
            return;
        }

        lock (_lock)
        {
            if (from is not null && _byGateway.TryGetValue(from, out var previous) && previous.Remove(deviceId) && previous.Count == 0)
            {
                _byGateway.Remove(from);
            }

            if (to is not null)
            {
                if (!_byGateway.TryGetValue(to, out var next))
                {
                    _byGateway[to] = next = new HashSet<string>(StringComparer.Ordinal);
                }

                next.Add(deviceId);
            }
        }
    }

    /// <summary>The devices connected through <paramref name="gatewayId"/>, forgotten here.</summary>
    public IReadOnlyCollection<string> TakeDevicesOf(string gatewayId)
    {
        lock (_lock)
        {
            return _byGateway.Remove(gatewayId, out var devices) ? devices : [];
        }
    }
}
