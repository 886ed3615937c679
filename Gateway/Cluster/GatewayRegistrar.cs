using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.IoT.Gateway.Configuration;
using Orleans.IoT.Gateway.Transport;

namespace Orleans.IoT.Gateway.Cluster;

/// <summary>
/// Keeps this gateway in the cluster's gateway directory: registers its observer at start, renews it every
/// <c>Gateway:RenewSeconds</c> and at once when its subscribers' interest changes, and unregisters it on a clean stop
/// (a gateway that dies expires instead).
/// </summary>
public sealed partial class GatewayRegistrar(
    IGrainFactory grains,
    GatewayIdentity identity,
    GatewayObserver observer,
    SubscriptionInterest interest,
    IOptions<GatewayIdentityOptions> options,
    IOptions<DisconnectPresenceOptions> presence,
    TimeProvider clock,
    ILogger<GatewayRegistrar> logger) : BackgroundService
{
    private static readonly TimeSpan UnregisterTimeout = TimeSpan.FromSeconds(5);

    private readonly TimeSpan _period = TimeSpan.FromSeconds(options.Value.RenewSeconds);
    private readonly Channel<bool> _interestChanged = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private IGatewayObserver? _reference;
    private long _registeredAt = long.MinValue;
    private bool _failing;

    /// <summary>When the directory last took this gateway's registration; null before the first time.</summary>
    public DateTimeOffset? LastRegistered => Interlocked.Read(ref _registeredAt) is var at && at == long.MinValue ? null : DateTimeOffset.FromUnixTimeMilliseconds(at);

    /// <summary>How often registration is renewed.</summary>
    public TimeSpan RenewalPeriod => _period;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        _reference = grains.CreateObjectReference<IGatewayObserver>(observer);
        interest.Changed += OnInterestChanged;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                await RegisterAsync();
                using var wait = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                wait.CancelAfter(_period);
                try
                {
                    await _interestChanged.Reader.WaitToReadAsync(wait.Token);
                    _interestChanged.Reader.TryRead(out _);
                }
                catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
                {
                    // Time to renew.
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // The gateway is stopping.
        }
        finally
        {
            interest.Changed -= OnInterestChanged;
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        try
        {
            await grains.GetGrain<IGatewayDirectoryGrain>(IGatewayDirectoryGrain.Key).Unregister(identity.Id).WaitAsync(UnregisterTimeout, cancellationToken);
        }
        catch (Exception ex)
        {
            // It expires instead.
            LogUnregisterFailed(ex, identity.Id);
        }

        if (_reference is not null)
        {
            grains.DeleteObjectReference<IGatewayObserver>(_reference);
        }
    }

    /// <summary>Renews at once rather than at the next period: the directory grain may have moved with a silo that died.</summary>
    public void RenewNow() => _interestChanged.Writer.TryWrite(true);

    private void OnInterestChanged() => _interestChanged.Writer.TryWrite(true);

    private async Task RegisterAsync()
    {
        try
        {
            // Bounded: a call in flight to a silo that died is never answered (a client does not fail it), and waiting for
            // the response timeout would let this gateway expire from the directory meanwhile.
            await grains.GetGrain<IGatewayDirectoryGrain>(IGatewayDirectoryGrain.Key)
                .Register(Registration())
                .WaitAsync(_period);
            Interlocked.Exchange(ref _registeredAt, clock.GetUtcNow().ToUnixTimeMilliseconds());
            if (_failing)
            {
                _failing = false;
                LogRegisteredAgain(identity.Id);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            if (!_failing)
            {
                _failing = true;
                LogRegisterFailed(ex, identity.Id, _period.TotalSeconds);
            }
        }
    }

    private GatewayRegistration Registration() => identity.SharedBroker is null
        ? new(identity.Id, _reference!, interest.Current, WatchedDevices: interest.WatchedDevices, OfflineOnDisconnect: presence.Value.OfflineOnDisconnect)
        : new(identity.Id, _reference!, interest.Subscribers, identity.SharedBroker, interest.Streams, interest.WatchedDevices);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Gateway {GatewayId} could not register in the gateway directory; device grains cannot reach it until it does (trying again every {PeriodSeconds} s)")]
    private partial void LogRegisterFailed(Exception exception, string gatewayId, double periodSeconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "Gateway {GatewayId} registered in the gateway directory again")]
    private partial void LogRegisteredAgain(string gatewayId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Gateway {GatewayId} could not unregister from the gateway directory; it expires there instead")]
    private partial void LogUnregisterFailed(Exception exception, string gatewayId);
}
