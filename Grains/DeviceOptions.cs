using System.ComponentModel.DataAnnotations;

namespace Orleans.IoT.Grains;

/// <summary><c>Presence:*</c> settings.</summary>
public sealed class PresenceOptions
{
    public const string Section = "Presence";

    [Range(1, 86_400 * 30)]
    public int OfflineAfterSeconds { get; set; } = 600;

    /// <summary>How often a silo looks for online devices whose watching silo died (also at every membership change).</summary>
    [Range(1, 3600)]
    public int RecoveryCheckSeconds { get; set; } = 5;
}

/// <summary>
/// <c>RateLimit:*</c> settings the device grain enforces: per device and window, at most <see cref="MaxMessages"/>
/// messages and <see cref="MaxRegistrationsPerDevice"/> registration attempts.
/// </summary>
public sealed class RateLimitOptions
{
    public const string Section = "RateLimit";

    [Range(1, int.MaxValue)]
    public int MaxMessages { get; set; } = 1000;

    /// <summary>Registration attempts for one device id, refused ones included: it bounds token guessing and re-registration loops.</summary>
    [Range(1, int.MaxValue)]
    public int MaxRegistrationsPerDevice { get; set; } = 10;

    [Range(1, 86_400)]
    public int WindowSeconds { get; set; } = 60;
}

/// <summary><c>Storage:WriteBehindSeconds</c>: the most that last_seen, metrics and latest readings may lag in storage.</summary>
public sealed class WriteBehindOptions
{
    public const string Section = "Storage";

    [Range(1, 3600)]
    public int WriteBehindSeconds { get; set; } = 30;
}
