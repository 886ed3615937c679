using Microsoft.Extensions.Logging;
using Orleans.IoT.Grains.Ports;
using Orleans.Runtime;

namespace Orleans.IoT.Grains;

/// <summary>
/// The device's presence: any accepted message marks it online; silence for <c>Presence:OfflineAfterSeconds</c> marks it
/// offline (a grain timer, re-armed on activation), and so does its connection closing. Transitions are stored,
/// announced and recorded in the catalog, with the silo whose timer watches the device: should that silo die,
/// <see cref="PresenceRecovery"/> finds the device there and wakes its grain on a live silo.
/// </summary>
public sealed partial class DeviceGrain
{
    public const string ReasonDisconnected = "disconnected";
    public const string ReasonConnectionLost = "connection_lost";

    private static readonly TimeSpan OfflineRetryDelay = TimeSpan.FromSeconds(5);

    public async Task ConnectionClosed(bool clean, double closedAt, string? gateway, CancellationToken cancellationToken)
    {
        // Heard from since (a new connection's first message overtook this one): still online, through that connection's gateway.
        if (!IsRegisteredOrLeave() || !State.Online || State.LastSeen > closedAt)
        {
            return;
        }

        if (gateway is not null && gateway == State.Gateway)
        {
            _services.GatewayDevices.Moved(DeviceId, gateway, null);
            State.Gateway = null;
        }

        await GoOfflineAsync(clean ? ReasonDisconnected : ReasonConnectionLost, Now(), cancellationToken);
        StopOfflineTimer();
    }

    public async Task GatewayGone(string gatewayId)
    {
        if (State.Gateway != gatewayId)
        {
            return; // heard from through another gateway since
        }

        _services.GatewayDevices.Moved(DeviceId, gatewayId, null);
        State.Gateway = null;
        if (!IsRegisteredOrLeave() || !State.Online)
        {
            WriteBehind();
            return;
        }

        LogGatewayGone(DeviceId, gatewayId);
        await GoOfflineAsync(ReasonConnectionLost, Now(), CancellationToken.None);
        StopOfflineTimer();
    }

    public async Task WatchPresence(CancellationToken cancellationToken)
    {
        // An online device's activation has armed its timer and queued its catalog entry with this silo as the watcher;
        // an offline or unregistered one's row is put right (the transition's entry died with the old silo). A device
        // never registered here has no row of this service's to put right: the row found may be another service's that
        // shares the database, which an empty entry would overwrite.
        if (!State.Online && State.RegisteredAt is not null)
        {
            await _services.Catalog.UpsertAsync(CatalogEntry(), cancellationToken);
        }

        IsRegisteredOrLeave();
    }

    /// <summary>
    /// Remembers the gateway a message from the device itself came through (not an operator's): the device's messages
    /// go there. Stored with the next write, like last_seen.
    /// </summary>
    private void NoteGateway(Caller caller)
    {
        if (caller.Gateway is { } gateway && !caller.IsOperator && gateway != State.Gateway)
        {
            _services.GatewayDevices.Moved(DeviceId, State.Gateway, gateway);
            State.Gateway = gateway;
            WriteBehind();
        }
    }

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
        _services.PresenceMetrics.CameOnline();
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
            await _services.Events.PresenceChanged(change, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The transition is stored; the event is not worth failing the device's message for.
            LogEventFailed(ex, DeviceId, "presence");
        }

        if (State.Registered)
        {
            await _services.Catalog.UpsertAsync(CatalogEntry(), cancellationToken);
        }
    }

    private void SetOffline()
    {
        if (State.Online)
        {
            State.Online = false;
            _services.PresenceMetrics.WentOffline();
        }
    }

    private async Task GoOfflineAsync(string reason, double now, CancellationToken cancellationToken)
    {
        SetOffline();
        try
        {
            await WriteStateAsync(cancellationToken);
        }
        catch
        {
            // Not stored: still online, and the timer keeps watching.
            State.Online = true;
            _services.PresenceMetrics.CameOnline();
            throw;
        }

        await PublishPresence(new PresenceChange(DeviceId, false, reason, now), cancellationToken);
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

        if (State.Online)
        {
            try
            {
                await GoOfflineAsync("timeout", now, cancellationToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // Still online, as stored: try again shortly rather than leave the device online for good.
                LogOfflineNotStored(ex, DeviceId);
                _offlineTimer?.Change(OfflineRetryDelay, Timeout.InfiniteTimeSpan);
                return;
            }
        }

        // Disposed last: disposing cancels the token this tick was using.
        StopOfflineTimer();
    }

    private TimeSpan RemainingUntilOffline(double now)
    {
        var silentFor = now - (State.LastSeen ?? now);
        var remaining = OfflineAfter - TimeSpan.FromSeconds(silentFor);
        return remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Device {DeviceId} could not be marked offline (its state could not be stored); trying again")]
    private partial void LogOfflineNotStored(Exception exception, string deviceId);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Device {DeviceId} is offline: its gateway {GatewayId} left the cluster")]
    private partial void LogGatewayGone(string deviceId, string gatewayId);
}
