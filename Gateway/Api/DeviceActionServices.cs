using Microsoft.Extensions.Options;
using Orleans.IoT.Gateway.Configuration;
using Orleans.IoT.Gateway.Handlers;

namespace Orleans.IoT.Gateway.Api;

/// <summary>
/// What the endpoints of an operator's actions on a device use (<c>[AsParameters]</c>): its grain, the lifecycle audit
/// for what the grain no longer holds, the MQTT payload limit that also bounds a request body, and the clock.
/// </summary>
public sealed record DeviceActionServices(DeviceGrains Grains, ILifecycleAuditReader Audit, IOptions<MqttOptions> Mqtt, TimeProvider Clock)
{
    public int MaxBodyBytes => Mqtt.Value.MaxPayloadBytes;
}
