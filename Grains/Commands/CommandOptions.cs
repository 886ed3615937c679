using System.ComponentModel.DataAnnotations;

namespace Orleans.IoT.Grains.Commands;

/// <summary><c>Commands:*</c> settings.</summary>
public sealed class CommandOptions
{
    public const string Section = "Commands";

    /// <summary>Open commands (queued, sent or delivered) a device may have; one more is refused.</summary>
    [Range(1, 10_000)]
    public int MaxQueuedPerDevice { get; set; } = 50;

    /// <summary>
    /// Ended commands a device remembers, so that a repeated command id is answered with its status. Every change writes
    /// the device's whole command list, so this is kept small.
    /// </summary>
    [Range(0, 10_000)]
    public int RememberEnded { get; set; } = 20;
}
