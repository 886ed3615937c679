using Orleans.IoT.Grains.Ports;
using Orleans.Runtime;

namespace Orleans.IoT.Grains;

/// <summary>
/// The device's presence: any accepted message marks it online; silence for <c>Presence:OfflineAfterSeconds</c> marks it
/// offline (a grain timer, re-armed on activation). Transitions are stored, announced and recorded in the catalog.
/// </summary>
public sealed partial class DeviceGrain
{
    /// <summary>Records that the device was heard from; returns the presence change when it just came online.</summary>
    private PresenceChange? MarkSeen(double now, string reason)
    {
        State.LastSeen = now;
        StartOfflineTimer(OfflineAfter);
        if (State.Online)
        {
            return null;
        }

        State.Online = true;
        _presenceMetrics.CameOnline();
        return new PresenceChange(DeviceId, true, reason, now);
    }

    /// <summary>Announces a presence transition and records it in the catalog.</summary>
    private async ValueTask PublishPresence(PresenceChange? change, CancellationToken cancellationToken)
    {
        if (change is null)
        {
            return;
        }

        try
        {
            await _events.PresenceChanged(change, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The transition is stored; the event is not worth failing the device's message for.
            LogEventFailed(ex, DeviceId, "presence");
        }

        if (State.Registered)
        {
            await _catalog.UpsertAsync(CatalogEntry(), cancellationToken);
        }
    }

    private void SetOffline()
    {
        if (State.Online)
        {
            State.Online = false;
            _presenceMetrics.WentOffline();
        }
    }

    private void StartOfflineTimer(TimeSpan dueIn)
    {
        if (_offlineTimer is not null)
        {
            return;
        }

        _offlineTimer = this.RegisterGrainTimer(
            CheckPresenceAsync,
            new GrainTimerCreationOptions(dueIn, Timeout.InfiniteTimeSpan) { KeepAlive = true });
    }

    private void StopOfflineTimer()
    {
        _offlineTimer?.Dispose();
        _offlineTimer = null;
    }

    private async Task CheckPresenceAsync(CancellationToken cancellationToken)
    {
        var now = Now();
        var remaining = RemainingUntilOffline(now);
        if (remaining > TimeSpan.Zero && State.Online)
        {
            _offlineTimer?.Change(remaining, Timeout.InfiniteTimeSpan);
            return;
        }

        try
        {
            if (State.Online)
            {
                SetOffline();
                await WriteStateAsync(cancellationToken);
                await PublishPresence(new PresenceChange(DeviceId, false, "timeout", now), cancellationToken);
            }
        }
        finally
        {
            // Disposed last: disposing cancels the token this tick is still using. Always disposed, so that the
            // next message starts a fresh timer even when this tick failed.
            StopOfflineTimer();
        }
    }

    private TimeSpan RemainingUntilOffline(double now)
    {
        var silentFor = now - (State.LastSeen ?? now);
        var remaining = OfflineAfter - TimeSpan.FromSeconds(silentFor);
        return remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero;
    }
}
