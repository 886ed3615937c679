using System.Collections.Immutable;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Runtime;
using Orleans.Utilities;

namespace Orleans.IoT.Grains.Gateways;

/// <summary>
/// The cluster's live gateways. Renewals are kept in memory; the set of gateways is also stored (written when a gateway
/// joins, changes or leaves, not at each renewal), so that should this grain move with a silo that died, it still knows
/// every gateway, each given a full expiry period to renew, instead of none until they renew: meanwhile device grains
/// would find no gateway to send their devices' messages through.
/// </summary>
public sealed partial class GatewayDirectoryGrain : Grain, IGatewayDirectoryGrain
{
    private readonly IPersistentState<GatewayDirectoryState> _state;
    private readonly ILogger<GatewayDirectoryGrain> _logger;
    private readonly ObserverManager<string, IGatewayObserver> _observers;
    private readonly Dictionary<string, GatewayRegistration> _registrations = new(StringComparer.Ordinal);
    private static readonly TimeSpan LeftCleanlyKept = TimeSpan.FromMinutes(5);
    private const int MaxLeftCleanly = 1000;

    private readonly Dictionary<string, DateTimeOffset> _leftCleanly = new(StringComparer.Ordinal);
    private readonly TimeProvider _clock;
    private ImmutableArray<GatewayRegistration>? _gateways;
    private bool _unstored;

    public GatewayDirectoryGrain(
        [PersistentState("gateway-directory", StorageNames.Devices)] IPersistentState<GatewayDirectoryState> state,
        IOptions<GatewayDirectoryOptions> options,
        TimeProvider clock,
        ILogger<GatewayDirectoryGrain> logger)
    {
        _state = state;
        _logger = logger;
        _clock = clock;
        _observers = new(TimeSpan.FromSeconds(options.Value.ExpirySeconds), logger)
        {
            GetDateTime = () => clock.GetUtcNow().UtcDateTime,
        };
    }

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        foreach (var registration in _state.State.Gateways.Values)
        {
            _observers.Subscribe(registration.Id, registration.Observer);
            _registrations[registration.Id] = registration;
        }

        return Task.CompletedTask;
    }

    public async Task Register(GatewayRegistration registration)
    {
        var known = _observers.Observers.ContainsKey(registration.Id)
            && _registrations.TryGetValue(registration.Id, out var previous)
            && previous == registration;
        _observers.Subscribe(registration.Id, registration.Observer);
        _registrations[registration.Id] = registration;
        if (!known)
        {
            _gateways = null;
            _unstored = true;
        }

        await StoreAsync();
    }

    public async Task Unregister(string gatewayId)
    {
        RememberLeftCleanly(gatewayId);
        _observers.Unsubscribe(gatewayId);
        _registrations.Remove(gatewayId);
        _gateways = null;
        _unstored = true;
        await StoreAsync();
    }

    public Task<bool> LeftCleanly(string gatewayId) => Task.FromResult(_leftCleanly.ContainsKey(gatewayId));

    /// <summary>Kept for a few minutes (long past every silo's next read of the directory), at most a thousand.</summary>
    private void RememberLeftCleanly(string gatewayId)
    {
        var now = _clock.GetUtcNow();
        foreach (var id in _leftCleanly.Where(e => now - e.Value > LeftCleanlyKept).Select(e => e.Key).ToList())
        {
            _leftCleanly.Remove(id);
        }

        if (_leftCleanly.Count >= MaxLeftCleanly)
        {
            _leftCleanly.Clear();
        }

        _leftCleanly[gatewayId] = now;
    }

    public async Task<ImmutableArray<GatewayRegistration>> GetGateways()
    {
        var count = _observers.Count;
        _observers.ClearExpired();
        if (_observers.Count != count || _gateways is null)
        {
            foreach (var id in _registrations.Keys.Where(id => !_observers.Observers.ContainsKey(id)).ToList())
            {
                _registrations.Remove(id);
                _unstored = true;
            }

            _gateways = [.. _observers.Observers.Keys.Select(id => _registrations[id])];
        }

        await StoreAsync();
        return _gateways.Value;
    }

    /// <summary>
    /// Stores the set of gateways when it changed since it was last stored. A failure (storage away) is logged and left for
    /// the next call: the directory in memory is what serves the cluster.
    /// </summary>
    private async Task StoreAsync()
    {
        if (!_unstored)
        {
            return;
        }

        _state.State.Gateways = new Dictionary<string, GatewayRegistration>(_registrations, StringComparer.Ordinal);
        try
        {
            await _state.WriteStateAsync();
            _unstored = false;
        }
        catch (Exception ex)
        {
            LogNotStored(ex);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The gateway directory could not be stored; it serves from memory and stores it at its next call")]
    private partial void LogNotStored(Exception exception);
}
