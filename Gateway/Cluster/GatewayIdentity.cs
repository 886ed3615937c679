using Microsoft.Extensions.Options;
using Orleans.IoT.Gateway.Configuration;

namespace Orleans.IoT.Gateway.Cluster;

/// <summary>This gateway's id in the cluster: device callers carry it, so that device grains send their messages here.</summary>
public sealed class GatewayIdentity(IOptions<GatewayIdentityOptions> options)
{
    public string Id { get; } = options.Value.Id is { Length: > 0 } id
        ? id
        : $"{Environment.MachineName}-{Guid.NewGuid().ToString("N")[..8]}";
}
