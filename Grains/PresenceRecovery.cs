using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.IoT.Grains.Ports;
using Orleans.Runtime;

namespace Orleans.IoT.Grains;

/// <summary>
/// Keeps presence true when a silo dies. An online device's silence is watched by a timer in its grain, and the
/// catalog records which silo that is; when a silo is gone from the cluster (dead, or not a member at all, as after a
/// restart of the whole cluster), one live silo — the lowest-addressed active one — wakes the grains of the devices it
/// watched, which re-arm their timers on a live silo (from the stored last_seen) and take over the catalog row. So it
/// does for the devices whose grain was deactivated while online (recorded as unwatched): Orleans deactivates the
/// grains whose directory partition was on the dead silo, on every silo.
/// Checked when the membership changes and every <see cref="PresenceOptions.RecoveryCheckSeconds"/>; costs nothing
/// per device while no silo dies (no reminder per device, no scan of the fleet: one index probe per watching silo).
/// </summary>
public sealed partial class PresenceRecovery(
    IClusterMembershipService membership,
    IPresenceWatchList watchList,
    IGrainFactory grains,
    ILocalSiloDetails silo,
    IOptions<PresenceOptions> options,
    ILogger<PresenceRecovery> logger) : BackgroundService
{
    /// <summary>Devices read from the catalog at a time.</summary>
    private const int PageSize = 1000;

    /// <summary>Grains woken at once: enough to keep the silos busy, few enough not to crowd out devices' messages.</summary>
    private const int Concurrency = 64;

    private static readonly TimeSpan AfterMembershipChange = TimeSpan.FromSeconds(1);

    /// <summary>Completed by a membership change, to check at once rather than at the next interval.</summary>
    private TaskCompletionSource _wake = new(TaskCreationOptions.RunContinuationsAsynchronously);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = TimeSpan.FromSeconds(options.Value.RecoveryCheckSeconds);
        var membershipChanged = WatchMembershipAsync(stoppingToken);
        var lookAgainSoon = false;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await RecoverAsync(stoppingToken);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                LogCheckFailed(ex);
            }

            // Whichever comes first: the next membership change or the interval. After a change, look again shortly:
            // the grains Orleans deactivates because of it record themselves unwatched a moment later.
            var wake = _wake;
            await Task.WhenAny(wake.Task, Task.Delay(lookAgainSoon ? AfterMembershipChange : interval, stoppingToken));
            lookAgainSoon = wake.Task.IsCompleted;
            Interlocked.CompareExchange(ref _wake, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously), wake);
        }

        await membershipChanged;
    }

    private async Task WatchMembershipAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var _ in membership.MembershipUpdates.WithCancellation(stoppingToken))
            {
                Volatile.Read(ref _wake).TrySetResult();
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Wakes the devices of every silo that watches some and is no longer alive; this silo does it only when it leads.</summary>
    public async Task RecoverAsync(CancellationToken cancellationToken)
    {
        var snapshot = membership.CurrentSnapshot;
        var active = snapshot.Members.Values.Where(m => m.Status == SiloStatus.Active).Select(m => m.SiloAddress).ToList();
        if (active.Count == 0 || active.Min() != silo.SiloAddress)
        {
            return;
        }

        foreach (var watcher in await watchList.WatchersAsync(cancellationToken))
        {
            if (!IsAlive(snapshot, watcher))
            {
                await RecoverWatchedByAsync(watcher, cancellationToken);
            }
        }
    }

    /// <summary>Alive: a member that is not dead (a silo shutting down still has its grains); <see cref="DeviceCatalogEntry.Unwatched"/> is not.</summary>
    private static bool IsAlive(ClusterMembershipSnapshot snapshot, string watcher)
    {
        if (watcher == DeviceCatalogEntry.Unwatched)
        {
            return false;
        }

        SiloAddress address;
        try
        {
            address = SiloAddress.FromParsableString(watcher);
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException or IndexOutOfRangeException)
        {
            return false;
        }

        return snapshot.Members.TryGetValue(address, out var member) && member.Status != SiloStatus.Dead;
    }

    private async Task RecoverWatchedByAsync(string watcher, CancellationToken cancellationToken)
    {
        var woken = 0;
        string? after = null;
        while (await watchList.WatchedByAsync(watcher, after, PageSize, cancellationToken) is { Count: > 0 } page)
        {
            await Parallel.ForEachAsync(
                page,
                new ParallelOptions { MaxDegreeOfParallelism = Concurrency, CancellationToken = cancellationToken },
                async (deviceId, ct) =>
                {
                    try
                    {
                        await grains.GetGrain<IDeviceGrain>(deviceId).WatchPresence(ct);
                    }
                    catch (Exception ex) when (!ct.IsCancellationRequested)
                    {
                        // Its row still names the dead silo: the next check wakes it again.
                        LogWakeFailed(ex, deviceId);
                    }
                });
            woken += page.Count;
            after = page[^1];
        }

        LogRecovered(watcher, woken);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Silo {Watcher} is gone: woke the grains of the {Count} online devices whose silence it watched")]
    private partial void LogRecovered(string watcher, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not wake the grain of device {DeviceId} after its silo died; trying again at the next check")]
    private partial void LogWakeFailed(Exception exception, string deviceId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The check for online devices watched by a dead silo failed; trying again")]
    private partial void LogCheckFailed(Exception exception);
}
