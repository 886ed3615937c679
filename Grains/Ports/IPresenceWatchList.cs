namespace Orleans.IoT.Grains.Ports;

/// <summary>
/// Which silo watches each online device's silence, as the catalog records it: what <see cref="PresenceRecovery"/>
/// needs to find the devices whose watcher died, without asking every device grain.
/// </summary>
public interface IPresenceWatchList
{
    /// <summary>The distinct silos recorded as watching at least one online device.</summary>
    ValueTask<IReadOnlyList<string>> WatchersAsync(CancellationToken cancellationToken);

    /// <summary>Up to <paramref name="limit"/> online devices watched by <paramref name="watcher"/>, by id, after <paramref name="afterDeviceId"/>.</summary>
    ValueTask<IReadOnlyList<string>> WatchedByAsync(string watcher, string? afterDeviceId, int limit, CancellationToken cancellationToken);
}
