using System.ComponentModel.DataAnnotations;

namespace Orleans.IoT.Silo.Configuration;

/// <summary><c>Orleans:*</c> settings.</summary>
public sealed class OrleansHostOptions
{
    public const string Section = "Orleans";

    [RegularExpression("^Localhost$", ErrorMessage = "Orleans:Clustering must be 'Localhost'")]
    public string Clustering { get; set; } = "Localhost";

    [Required(AllowEmptyStrings = false)]
    public string ClusterId { get; set; } = "dev";

    [Required(AllowEmptyStrings = false)]
    public string ServiceId { get; set; } = "orleans-iot";

    [Range(1, 65535)]
    public int SiloPort { get; set; } = 11111;

    [Range(1, 65535)]
    public int GatewayPort { get; set; } = 30000;
}

/// <summary><c>Storage:*</c>: where grain state lives.</summary>
public sealed class StorageOptions
{
    public const string Section = "Storage";

    [RegularExpression("^Memory$", ErrorMessage = "Storage:Provider must be 'Memory'")]
    public string Provider { get; set; } = "Memory";
}

/// <summary><c>History:*</c>: where sensor history and the device catalog live.</summary>
public sealed class HistoryOptions
{
    public const string Section = "History";

    [RegularExpression("^Memory$", ErrorMessage = "History:Provider must be 'Memory'")]
    public string Provider { get; set; } = "Memory";

    /// <summary>The in-memory store keeps at most this many readings per device and sensor.</summary>
    [Range(1, 10_000_000)]
    public int MaxReadingsPerSeries { get; set; } = 10_000;
}

/// <summary><c>Gateway:*</c>.</summary>
public sealed class GatewayHostOptions
{
    public const string Section = "Gateway";

    /// <summary>The silo hosts the gateway in-process.</summary>
    [AllowedValues(true, ErrorMessage = "Gateway:CoHosted must be true: this build runs the gateway inside the silo")]
    public bool CoHosted { get; set; } = true;
}
