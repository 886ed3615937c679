using System.ComponentModel.DataAnnotations;

namespace Orleans.IoT.Grains.Fleet;

/// <summary><c>FleetOnline:*</c> settings: how long the minute samples of devices online are kept.</summary>
public sealed class FleetOnlineOptions
{
    public const string Section = "FleetOnline";

    /// <summary>Samples older than this are dropped; at most this many are stored (one a minute).</summary>
    [Range(1, FleetOnlineSample.MaxMinutes, ErrorMessage = "FleetOnline:RetentionMinutes must be between 1 and 1440")]
    public int RetentionMinutes { get; set; } = FleetOnlineSample.MaxMinutes;
}
