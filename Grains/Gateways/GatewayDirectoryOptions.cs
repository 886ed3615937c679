using System.ComponentModel.DataAnnotations;

namespace Orleans.IoT.Grains.Gateways;

/// <summary><c>Gateway:*</c> settings of the silos' side of the gateway directory.</summary>
public sealed class GatewayDirectoryOptions
{
    public const string Section = "Gateway";

    /// <summary>A gateway that has not renewed its registration for this long is dropped (it died); gateways renew every <c>Gateway:RenewSeconds</c>.</summary>
    [Range(2, 3600, ErrorMessage = "Gateway:ExpirySeconds must be between 2 and 3600")]
    public int ExpirySeconds { get; set; } = 20;

    /// <summary>How often each silo reads the directory: a gateway's new subscribers receive fleet events from other silos within this.</summary>
    [Range(100, 60_000, ErrorMessage = "Gateway:DirectoryRefreshMilliseconds must be between 100 and 60000")]
    public int DirectoryRefreshMilliseconds { get; set; } = 2000;

    /// <summary>
    /// How long a device grain waits for another gateway to take its device's message: a gateway that died but has not
    /// expired yet would otherwise hold the grain (and every message of its device) until the call times out.
    /// </summary>
    [Range(100, 60_000, ErrorMessage = "Gateway:SendTimeoutMilliseconds must be between 100 and 60000")]
    public int SendTimeoutMilliseconds { get; set; } = 5000;
}
