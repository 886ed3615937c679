using Orleans.IoT.Grains.Ports;

namespace Orleans.IoT.Grains.Fleet;

/// <summary>
/// The rules of the samples of devices online: oldest first, one per minute at most (a second sample within
/// <see cref="Period"/> of the last, as a reminder that fires again after a reactivation, is not kept), none older than
/// the retention, and so never more than retention / period of them.
/// </summary>
public static class FleetOnlineHistory
{
    public static readonly TimeSpan Period = TimeSpan.FromMinutes(1);

    /// <summary>Reminders fire a little early or late: a tick a few seconds short of a period still takes its sample.</summary>
    private static readonly TimeSpan Tolerance = TimeSpan.FromSeconds(5);

    /// <summary>The sample of the catalog's counts: online and registered count active rows only.</summary>
    public static FleetOnlineSample Count(IEnumerable<FleetCatalogGroup> groups, DateTimeOffset at)
    {
        long online = 0, registered = 0;
        foreach (var group in groups.Where(g => g.Active))
        {
            registered += group.Devices;
            online += group.Online ? group.Devices : 0;
        }

        return new FleetOnlineSample(at, online, registered);
    }

    /// <summary>Whether a sample is due at <paramref name="now"/>: none yet, or the last one a period ago or more.</summary>
    public static bool IsDue(List<FleetOnlineSample> samples, DateTimeOffset now) =>
        samples.Count == 0 || now - samples[^1].At >= Period - Tolerance;

    /// <summary>Adds <paramref name="sample"/> if it is due, and drops the samples older than <paramref name="retention"/>.</summary>
    public static bool Add(List<FleetOnlineSample> samples, FleetOnlineSample sample, TimeSpan retention)
    {
        if (!IsDue(samples, sample.At))
        {
            return false;
        }

        samples.Add(sample);
        var oldest = sample.At - retention;
        var expired = samples.FindIndex(s => s.At > oldest);
        samples.RemoveRange(0, expired < 0 ? samples.Count : expired);
        return true;
    }

    /// <summary>The samples taken in the <paramref name="minutes"/> before <paramref name="now"/>, oldest first.</summary>
    public static IReadOnlyList<FleetOnlineSample> Since(List<FleetOnlineSample> samples, DateTimeOffset now, int minutes)
    {
        var from = now - TimeSpan.FromMinutes(minutes);
        var first = samples.FindIndex(s => s.At > from);
        return first < 0 ? [] : samples.GetRange(first, samples.Count - first);
    }
}
