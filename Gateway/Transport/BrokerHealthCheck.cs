using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Orleans.IoT.Gateway.Transport;

/// <summary>Ready when the embedded broker is started and every listener it is configured with (plain, TLS) is listening.</summary>
public sealed class BrokerHealthCheck(EmbeddedBrokerServer broker) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (!broker.Server.IsStarted)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy("the MQTT broker is not started"));
        }

        foreach (var listener in broker.Listeners)
        {
            if (listener.LocalEndPoint is null)
            {
                return Task.FromResult(HealthCheckResult.Unhealthy($"the MQTT {(listener.IsTls ? "TLS" : "plain")} listener is not listening"));
            }
        }

        return Task.FromResult(HealthCheckResult.Healthy());
    }
}
