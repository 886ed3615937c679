using Microsoft.Extensions.Options;
using Orleans.IoT.Gateway.Configuration;

namespace Orleans.IoT.Gateway.Cluster;

/// <summary>
/// This gateway's id in the cluster: device callers carry it, so that device grains send their messages here; and the
/// external broker it shares with other gateways, if any, so that the cluster publishes each fleet event there once.
/// </summary>
public sealed class GatewayIdentity(IOptions<GatewayIdentityOptions> options, IOptions<MqttOptions> mqtt)
{
    public string Id { get; } = options.Value.Id is { Length: > 0 } id
        ? id
        : $"{Environment.MachineName}-{Guid.NewGuid().ToString("N")[..8]}";

    /// <summary><c>Mqtt:External:Host:Port</c> in external mode (replicas must name their broker alike); null with the embedded broker.</summary>
    public string? SharedBroker { get; } = mqtt.Value.IsExternal
        ? $"{mqtt.Value.External.Host.ToLowerInvariant()}:{mqtt.Value.External.Port}"
        : null;
}
