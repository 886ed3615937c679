using System.ComponentModel.DataAnnotations;

namespace Orleans.IoT.GatewayHost;

/// <summary><c>Orleans:*</c> settings of a standalone gateway: the cluster it joins as a client.</summary>
public sealed class ClusterClientOptions
{
    public const string Section = "Orleans";

    public const string Localhost = "Localhost";
    public const string Redis = "Redis";

    [RegularExpression("^(Localhost|Redis)$", ErrorMessage = "Orleans:Clustering must be 'Localhost' or 'Redis'")]
    public string Clustering { get; set; } = Localhost;

    [Required(AllowEmptyStrings = false, ErrorMessage = "Orleans:ClusterId is required")]
    public string ClusterId { get; set; } = "dev";

    [Required(AllowEmptyStrings = false, ErrorMessage = "Orleans:ServiceId is required")]
    public string ServiceId { get; set; } = "orleans-iot";

    /// <summary>Localhost clustering: the silo's gateway port (its <c>Orleans:GatewayPort</c>).</summary>
    [Range(1, 65535, ErrorMessage = "Orleans:GatewayPort must be between 1 and 65535")]
    public int GatewayPort { get; set; } = 30000;

    /// <summary>How long to wait between attempts to reach the cluster at start (silos may start later than gateways).</summary>
    [Range(1, 300, ErrorMessage = "Orleans:ConnectRetrySeconds must be between 1 and 300")]
    public int ConnectRetrySeconds { get; set; } = 2;

    /// <summary>
    /// How long a grain call may take before the gateway gives up on it. The silos' default (their
    /// <c>History:MaxOutageSeconds</c> + 30): a reading may wait that long for PostgreSQL. A call to a silo that died is
    /// not left to it: the gateway cancels the calls in flight when it loses a silo.
    /// </summary>
    [Range(1, 3630, ErrorMessage = "Orleans:ResponseTimeoutSeconds must be between 1 and 3630")]
    public int ResponseTimeoutSeconds { get; set; } = 60;
}
