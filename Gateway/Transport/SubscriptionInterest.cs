using System.Collections.Concurrent;

namespace Orleans.IoT.Gateway.Transport;

/// <summary>
/// Counts the subscriptions that could receive high-volume system topics (<c>analytics/...</c>): filters whose
/// first level is that namespace, <c>+</c> or <c>#</c>. When there are none the system skips building and
/// dispatching those messages. It errs towards "someone might receive it".
/// </summary>
public sealed class SubscriptionInterest
{
    public const string Analytics = "analytics";

    private static readonly string[] Watched = [Analytics, "+", "#"];

    private readonly ConcurrentDictionary<string, ConcurrentDictionary<string, string>> _byClient = new(StringComparer.Ordinal);
    private readonly int[] _counts = new int[Watched.Length];

    public void Subscribed(string clientId, string filter)
    {
        var level = FirstLevel(filter);
        if (Array.IndexOf(Watched, level) < 0)
        {
            return;
        }

        var filters = _byClient.GetOrAdd(clientId, static _ => new(StringComparer.Ordinal));
        if (filters.TryAdd(filter, level))
        {
            Interlocked.Increment(ref _counts[Array.IndexOf(Watched, level)]);
        }
    }

    public void Unsubscribed(string clientId, string filter)
    {
        if (_byClient.TryGetValue(clientId, out var filters) && filters.TryRemove(filter, out var level))
        {
            Interlocked.Decrement(ref _counts[Array.IndexOf(Watched, level)]);
        }
    }

    public void Disconnected(string clientId)
    {
        if (_byClient.TryRemove(clientId, out var filters))
        {
            foreach (var level in filters.Values)
            {
                Interlocked.Decrement(ref _counts[Array.IndexOf(Watched, level)]);
            }
        }
    }

    /// <summary>Behind an external broker the subscriptions are the broker's to know: some subscription may match anything.</summary>
    public static SubscriptionInterest Unknown()
    {
        var interest = new SubscriptionInterest();
        interest.Subscribed(string.Empty, "#");
        return interest;
    }

    /// <summary>True when some subscription may match an <c>analytics/...</c> topic.</summary>
    public bool MayReceiveAnalytics =>
        Volatile.Read(ref _counts[0]) > 0 || Volatile.Read(ref _counts[1]) > 0 || Volatile.Read(ref _counts[2]) > 0;

    private static string FirstLevel(string filter)
    {
        var slash = filter.IndexOf('/');
        return slash < 0 ? filter : filter[..slash];
    }
}
