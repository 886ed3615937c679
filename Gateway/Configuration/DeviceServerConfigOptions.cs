using System.ComponentModel.DataAnnotations;

namespace Orleans.IoT.Gateway.Configuration;

/// <summary><c>Devices:ServerConfig:*</c>: the <c>server_config</c> handed to a device when it registers.</summary>
public sealed class DeviceServerConfigOptions
{
    public const string Section = "Devices:ServerConfig";

    [Range(1, 86_400)]
    public int HeartbeatInterval { get; set; } = 60;

    [Range(1, 86_400)]
    public int DataReportingInterval { get; set; } = 300;

    [Range(0, 100)]
    public int MaxRetryAttempts { get; set; } = 3;
}
