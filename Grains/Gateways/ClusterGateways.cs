using System.Collections.Frozen;
using System.Collections.Immutable;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Runtime;

namespace Orleans.IoT.Grains.Gateways;

/// <summary>
/// This silo's copy of the gateway directory, read every <c>Gateway:DirectoryRefreshMilliseconds</c> and at once when a
/// device's gateway is not in it (a gateway that has just started), so that sending to a gateway costs one grain call to
/// that gateway and none to the directory. A gateway with an embedded broker that leaves the directory (it stopped, or
/// died and expired) took its devices' connections with it: the devices this silo knows were connected there
/// (<see cref="GatewayDevices"/>) are told, and go offline.
/// </summary>
public sealed partial class ClusterGateways(
    IGrainFactory grains, GatewayDevices devices, IOptions<GatewayDirectoryOptions> options, ILogger<ClusterGateways> logger)
    : ILifecycleParticipant<ISiloLifecycle>
{
    private readonly TimeSpan _period = TimeSpan.FromMilliseconds(options.Value.DirectoryRefreshMilliseconds);
    private readonly CancellationTokenSource _stopping = new();
    private volatile Snapshot _snapshot = new([], FrozenDictionary<string, IGatewayObserver>.Empty);
    private Task? _refreshing;
    private Task _polling = Task.CompletedTask;
    private bool _failing;

    /// <summary>The gateways that renewed their registration lately, with what their subscribers want.</summary>
    public ImmutableArray<GatewayRegistration> Gateways => _snapshot.Gateways;

    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(ClusterGateways), ServiceLifecycleStage.Active, StartAsync, StopAsync);

    /// <summary>The gateway with this id, reading the directory again when this silo does not know it yet; null when it is gone.</summary>
    public async ValueTask<IGatewayObserver?> FindAsync(string gatewayId)
    {
        if (_snapshot.ById.TryGetValue(gatewayId, out var observer))
        {
            return observer;
        }

        await RefreshAsync();
        return _snapshot.ById.GetValueOrDefault(gatewayId);
    }

    /// <summary>Reads the directory; concurrent callers share one read.</summary>
    public Task RefreshAsync()
    {
        var refreshing = Volatile.Read(ref _refreshing);
        if (refreshing is not null)
        {
            return refreshing;
        }

        var fresh = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (Interlocked.CompareExchange(ref _refreshing, fresh.Task, null) is { } other)
        {
            return other;
        }

        _ = ReadDirectoryAsync(fresh);
        return fresh.Task;
    }

    private async Task ReadDirectoryAsync(TaskCompletionSource done)
    {
        try
        {
            var gateways = await grains.GetGrain<IGatewayDirectoryGrain>(IGatewayDirectoryGrain.Key).GetGateways();
            var previous = _snapshot;
            _snapshot = new(gateways, gateways.ToFrozenDictionary(g => g.Id, g => g.Observer, StringComparer.Ordinal));
            foreach (var gone in previous.Gateways)
            {
                if (gone.SharedBroker is null && gone.OfflineOnDisconnect && !_snapshot.ById.ContainsKey(gone.Id))
                {
                    _ = TellDevicesOfAsync(gone.Id);
                }
            }
            if (_failing)
            {
                _failing = false;
                LogReadAgain(gateways.Length);
            }
        }
        catch (Exception ex)
        {
            // The last copy stays in use; the next read tries again.
            if (!_failing)
            {
                _failing = true;
                LogReadFailed(ex, _period.TotalMilliseconds);
            }
        }
        finally
        {
            Volatile.Write(ref _refreshing, null);
            done.SetResult();
        }
    }

    /// <summary>
    /// One one-way call to each device that was connected through a gateway that died (expired, not unregistered: a
    /// stopping gateway's devices reconnect elsewhere, and are not marked offline, as its own closes are not).
    /// </summary>
    private async Task TellDevicesOfAsync(string gatewayId)
    {
        try
        {
            if (await grains.GetGrain<IGatewayDirectoryGrain>(IGatewayDirectoryGrain.Key).LeftCleanly(gatewayId))
            {
                devices.TakeDevicesOf(gatewayId);
                return;
            }

            var connected = devices.TakeDevicesOf(gatewayId);
            LogGatewayGone(gatewayId, connected.Count);
            foreach (var deviceId in connected)
            {
                grains.GetGrain<IDeviceGrain>(deviceId).GatewayGone(gatewayId).Ignore();
            }
        }
        catch (Exception ex)
        {
            // Its devices go offline by silence instead (Presence:OfflineAfterSeconds).
            LogGatewayGoneNotTold(ex, gatewayId);
        }
    }

    private async Task StartAsync(CancellationToken cancellationToken)
    {
        await RefreshAsync();
        _polling = PollAsync(_stopping.Token);
    }

    private async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        await _polling;
    }

    private async Task PollAsync(CancellationToken stopping)
    {
        using var timer = new PeriodicTimer(_period);
        try
        {
            while (await timer.WaitForNextTickAsync(stopping))
            {
                await RefreshAsync();
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // The silo is stopping.
        }
    }

    private sealed record Snapshot(ImmutableArray<GatewayRegistration> Gateways, FrozenDictionary<string, IGatewayObserver> ById);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not read the gateway directory; this silo keeps its last copy and tries again every {PeriodMilliseconds} ms")]
    private partial void LogReadFailed(Exception exception, double periodMilliseconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Gateway {GatewayId} left the cluster, and the directory could not say whether it stopped or died: its devices go offline by silence")]
    private partial void LogGatewayGoneNotTold(Exception exception, string gatewayId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Gateway {GatewayId} died: {Devices} devices whose grains are on this silo were connected through it and go offline")]
    private partial void LogGatewayGone(string gatewayId, int devices);

    [LoggerMessage(Level = LogLevel.Information, Message = "Read the gateway directory again: {Count} gateways")]
    private partial void LogReadAgain(int count);
}
