using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Orleans.IoT.Gateway.Transport;

/// <summary>Ready when the embedded broker accepts connections.</summary>
public sealed class BrokerHealthCheck(EmbeddedBrokerServer broker) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(broker.Server.IsStarted ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy("the MQTT broker is not started"));
}
