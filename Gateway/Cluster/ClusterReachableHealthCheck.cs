using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Orleans.IoT.Gateway.Cluster;

/// <summary>
/// Ready when the cluster took this gateway's registration lately (within three renewal periods): its client is
/// connected, and device grains can reach it.
/// </summary>
public sealed class ClusterReachableHealthCheck(GatewayRegistrar registrar, TimeProvider clock) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var last = registrar.LastRegistered;
        return Task.FromResult(last is { } at && clock.GetUtcNow() - at <= 3 * registrar.RenewalPeriod
            ? HealthCheckResult.Healthy()
            : HealthCheckResult.Unhealthy(last is null
                ? "this gateway has not registered with the cluster yet"
                : $"this gateway's last registration with the cluster was at {last:O}"));
    }
}
