using System.Collections.Immutable;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Utilities;

namespace Orleans.IoT.Grains.Gateways;

/// <summary>
/// The cluster's live gateways. Registrations live in memory only: should this grain move to another silo, every gateway
/// is back within one renewal period.
/// </summary>
public sealed class GatewayDirectoryGrain : Grain, IGatewayDirectoryGrain
{
    private readonly ObserverManager<string, IGatewayObserver> _observers;
    private readonly Dictionary<string, FleetInterest> _interest = new(StringComparer.Ordinal);
    private ImmutableArray<GatewayRegistration>? _gateways;

    public GatewayDirectoryGrain(IOptions<GatewayDirectoryOptions> options, TimeProvider clock, ILogger<GatewayDirectoryGrain> logger)
    {
        _observers = new(TimeSpan.FromSeconds(options.Value.ExpirySeconds), logger)
        {
            GetDateTime = () => clock.GetUtcNow().UtcDateTime,
        };
    }

    public Task Register(GatewayRegistration registration)
    {
        var known = _observers.Observers.TryGetValue(registration.Id, out var observer)
            && observer.Equals(registration.Observer)
            && _interest.TryGetValue(registration.Id, out var interest)
            && interest == registration.Interest;
        _observers.Subscribe(registration.Id, registration.Observer);
        _interest[registration.Id] = registration.Interest;
        if (!known)
        {
            _gateways = null;
        }

        return Task.CompletedTask;
    }

    public Task Unregister(string gatewayId)
    {
        _observers.Unsubscribe(gatewayId);
        _interest.Remove(gatewayId);
        _gateways = null;
        return Task.CompletedTask;
    }

    public Task<ImmutableArray<GatewayRegistration>> GetGateways()
    {
        var count = _observers.Count;
        _observers.ClearExpired();
        if (_observers.Count != count || _gateways is null)
        {
            foreach (var id in _interest.Keys.Where(id => !_observers.Observers.ContainsKey(id)).ToList())
            {
                _interest.Remove(id);
            }

            _gateways = [.. _observers.Observers.Select(pair => new GatewayRegistration(pair.Key, pair.Value, _interest[pair.Key]))];
        }

        return Task.FromResult(_gateways.Value);
    }
}
