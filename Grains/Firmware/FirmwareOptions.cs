using System.ComponentModel.DataAnnotations;

namespace Orleans.IoT.Grains.Firmware;

/// <summary><c>Firmware:*</c> settings.</summary>
public sealed class FirmwareOptions
{
    public const string Section = "Firmware";

    /// <summary>An update that makes no progress for this long (from being started, sent or last reported on) expires.</summary>
    [Range(1, 2_592_000)]
    public int TimeoutSeconds { get; set; } = 3600;

    /// <summary>Ended updates a device remembers, so that a repeated update id is answered with its status.</summary>
    [Range(1, 1000)]
    public int RememberEnded { get; set; } = 20;
}
