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
    private readonly Dictionary<string, GatewayRegistration> _registrations = new(StringComparer.Ordinal);
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
        var known = _observers.Observers.ContainsKey(registration.Id)
            && _registrations.TryGetValue(registration.Id, out var previous)
            && previous == registration;
        _observers.Subscribe(registration.Id, registration.Observer);
        _registrations[registration.Id] = registration;
        if (!known)
        {
            _gateways = null;
        }

        return Task.CompletedTask;
    }

    public Task Unregister(string gatewayId)
    {
        _observers.Unsubscribe(gatewayId);
        _registrations.Remove(gatewayId);
        _gateways = null;
        return Task.CompletedTask;
    }

    public Task<ImmutableArray<GatewayRegistration>> GetGateways()
    {
        var count = _observers.Count;
        _observers.ClearExpired();
        if (_observers.Count != count || _gateways is null)
        {
            foreach (var id in _registrations.Keys.Where(id => !_observers.Observers.ContainsKey(id)).ToList())
            {
                _registrations.Remove(id);
            }

            _gateways = [.. _observers.Observers.Keys.Select(id => _registrations[id])];
        }

        return Task.FromResult(_gateways.Value);
    }
}
