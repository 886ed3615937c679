using System.Collections.Concurrent;

namespace Orleans.IoT.Gateway.Transport;

/// <summary>
/// Counts the subscriptions that could receive each namespace of fleet-wide topics (<see cref="FleetInterest"/>:
/// <c>analytics/...</c>, <c>iot/events/...</c>, <c>iot/alerts/...</c>), judged by a filter's first two levels. When a
/// namespace has none, this gateway skips building its messages and tells the cluster not to send it those events. It
/// errs towards "someone might receive it". An operator's open event stream (<c>GET /api/v1/events</c>) counts as a
/// subscription to the namespaces it carries, for as long as it is open.
/// </summary>
public sealed class SubscriptionInterest
{
    public const string Analytics = "analytics";

    private static readonly FleetInterest[] Kinds = [FleetInterest.Analytics, FleetInterest.Events, FleetInterest.Alerts];

    private readonly ConcurrentDictionary<string, ConcurrentDictionary<string, FleetInterest>> _byClient = new(StringComparer.Ordinal);
    private readonly int[] _subscriptions = new int[Kinds.Length];
    private readonly int[] _streams = new int[Kinds.Length];
    private readonly Dictionary<string, int> _watchedDevices = new(StringComparer.Ordinal);
    private volatile string[] _watched = [];
    private int _subscribedToAnalytics;

    /// <summary>Raised when a namespace gains its first subscription or loses its last (<see cref="Current"/> changed).</summary>
    public event Action? Changed;

    public void Subscribed(string clientId, string filter)
    {
        var kinds = Of(filter);
        if (kinds == FleetInterest.None)
        {
            return;
        }

        var filters = _byClient.GetOrAdd(clientId, static _ => new(StringComparer.Ordinal));
        if (filters.TryAdd(filter, kinds))
        {
            Subscriptions(kinds, +1);
        }
    }

    public void Unsubscribed(string clientId, string filter)
    {
        if (_byClient.TryGetValue(clientId, out var filters) && filters.TryRemove(filter, out var kinds))
        {
            Subscriptions(kinds, -1);
        }
    }

    public void Disconnected(string clientId)
    {
        if (_byClient.TryRemove(clientId, out var filters))
        {
            foreach (var kinds in filters.Values)
            {
                Subscriptions(kinds, -1);
            }
        }
    }

    /// <summary>
    /// An event stream opened: this gateway wants <paramref name="kinds"/> until <see cref="StreamClosed"/> with the same
    /// kinds. It is not an MQTT subscription: <see cref="MayReceiveAnalytics"/> does not count it.
    /// </summary>
    public void StreamOpened(FleetInterest kinds, string? deviceId = null)
    {
        Count(_streams, kinds, +1);
        if (deviceId is not null)
        {
            Watch(deviceId, +1);
        }
    }

    public void StreamClosed(FleetInterest kinds, string? deviceId = null)
    {
        Count(_streams, kinds, -1);
        if (deviceId is not null)
        {
            Watch(deviceId, -1);
        }
    }

    /// <summary>The devices whose readings open event streams here carry (sorted), which the cluster sends this gateway.</summary>
    public IReadOnlyList<string> WatchedDevices => _watched;

    /// <summary>
    /// True when some MQTT subscription may match an <c>analytics/...</c> topic: a reading is published to the broker
    /// only then (to each session's subscriptions it is matched against).
    /// </summary>
    public bool MayReceiveAnalytics => Volatile.Read(ref _subscribedToAnalytics) > 0;

    /// <summary>The namespaces some subscription or open event stream may match.</summary>
    public FleetInterest Current => Subscribers | Streams;

    /// <summary>The namespaces some MQTT subscription may match.</summary>
    public FleetInterest Subscribers => Of(_subscriptions);

    /// <summary>The namespaces some open event stream carries.</summary>
    public FleetInterest Streams => Of(_streams);

    /// <summary>The namespaces a filter may match, by its first two levels.</summary>
    public static FleetInterest Of(string filter)
    {
        var slash = filter.IndexOf('/');
        var first = slash < 0 ? filter : filter[..slash];
        if (first == "#")
        {
            return FleetInterest.All;
        }

        var kinds = first is Analytics or "+" ? FleetInterest.Analytics : FleetInterest.None;
        if (slash >= 0 && first is "iot" or "+")
        {
            var rest = filter.AsSpan(slash + 1);
            var end = rest.IndexOf('/');
            var second = end < 0 ? rest : rest[..end];
            if (second is "#" or "+")
            {
                kinds |= FleetInterest.Events | FleetInterest.Alerts;
            }
            else if (second is "events")
            {
                kinds |= FleetInterest.Events;
            }
            else if (second is "alerts")
            {
                kinds |= FleetInterest.Alerts;
            }
        }

        return kinds;
    }

    private void Subscriptions(FleetInterest kinds, int delta)
    {
        if ((kinds & FleetInterest.Analytics) != 0)
        {
            Interlocked.Add(ref _subscribedToAnalytics, delta);
        }

        Count(_subscriptions, kinds, delta);
    }

    private void Watch(string deviceId, int delta)
    {
        bool changed;
        lock (_watchedDevices)
        {
            var count = _watchedDevices.GetValueOrDefault(deviceId) + delta;
            changed = count == 0 || (count == 1 && delta > 0);
            if (count <= 0)
            {
                _watchedDevices.Remove(deviceId);
            }
            else
            {
                _watchedDevices[deviceId] = count;
            }

            if (changed)
            {
                _watched = [.. _watchedDevices.Keys.Order(StringComparer.Ordinal)];
            }
        }

        if (changed)
        {
            Changed?.Invoke();
        }
    }

    private static FleetInterest Of(int[] counts)
    {
        var current = FleetInterest.None;
        for (var i = 0; i < Kinds.Length; i++)
        {
            if (Volatile.Read(ref counts[i]) > 0)
            {
                current |= Kinds[i];
            }
        }

        return current;
    }

    private void Count(int[] counts, FleetInterest kinds, int delta)
    {
        var changed = false;
        for (var i = 0; i < Kinds.Length; i++)
        {
            if ((kinds & Kinds[i]) != 0)
            {
                var count = Interlocked.Add(ref counts[i], delta);
                changed |= delta > 0 ? count == 1 : count == 0;
            }
        }

        if (changed)
        {
            Changed?.Invoke();
        }
    }
}
