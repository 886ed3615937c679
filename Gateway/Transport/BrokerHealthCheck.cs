using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Orleans.IoT.Gateway.Transport;

/// <summary>Ready when the MQTT transport of <c>Mqtt:Mode</c> can take devices' messages (<see cref="IBrokerReadiness"/>).</summary>
public sealed class BrokerHealthCheck(IBrokerReadiness transport) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(transport.NotReadyReason is { } reason ? HealthCheckResult.Unhealthy(reason) : HealthCheckResult.Healthy());
}
