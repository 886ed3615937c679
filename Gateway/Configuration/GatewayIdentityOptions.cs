using System.ComponentModel.DataAnnotations;

namespace Orleans.IoT.Gateway.Configuration;

/// <summary><c>Gateway:*</c>: how this gateway is known to the cluster.</summary>
public sealed class GatewayIdentityOptions
{
    public const string Section = "Gateway";

    /// <summary>
    /// Unique in the cluster. Empty: the host name and a random suffix, new at every start, which is what a gateway
    /// should be (a restarted gateway holds none of its old connections).
    /// </summary>
    [RegularExpression("^$|^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$", ErrorMessage = "Gateway:Id must be empty or match ^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$")]
    public string Id { get; set; } = "";

    /// <summary>How often the gateway renews its registration in the gateway directory (silos drop it after <c>Gateway:ExpirySeconds</c>).</summary>
    [Range(1, 3600, ErrorMessage = "Gateway:RenewSeconds must be between 1 and 3600")]
    public int RenewSeconds { get; set; } = 5;
}
