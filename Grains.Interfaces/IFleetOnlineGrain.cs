namespace Orleans.IoT;

/// <summary>
/// The fleet's devices online over time (one grain, key <see cref="Key"/>): a sample of the device catalog every minute,
/// taken on a reminder and kept for <c>FleetOnline:RetentionMinutes</c>. Every silo starts it; any host may read it.
/// </summary>
[Alias("iot.fleet-online")]
public interface IFleetOnlineGrain : IGrainWithStringKey
{
    public const string Key = "fleet";

    /// <summary>Makes sure the sampling runs (its reminder is registered); a silo calls it when it starts.</summary>
    [Alias("start")]
    Task Start();

    /// <summary>
    /// The samples of the last <paramref name="minutes"/> (1 to <see cref="FleetOnlineSample.MaxMinutes"/>), oldest
    /// first. Not read-only: it registers the reminder when an earlier attempt failed.
    /// </summary>
    [Alias("read")]
    Task<IReadOnlyList<FleetOnlineSample>> ReadSamples(int minutes);
}
