namespace Orleans.IoT.GatewayHost;

/// <summary>
/// Keeps trying to reach the cluster at start, every <c>Orleans:ConnectRetrySeconds</c>: the silos may come up after
/// the gateway (a gateway Deployment starting first), and a gateway that gave up would have to be restarted.
/// </summary>
public sealed partial class ClusterConnectionRetry(ClusterClientOptions options, ILogger<ClusterConnectionRetry> logger) : IClientConnectionRetryFilter
{
    public async Task<bool> ShouldRetryConnectionAttempt(Exception exception, CancellationToken cancellationToken)
    {
        LogNotReachable(exception.Message, options.ConnectRetrySeconds);
        await Task.Delay(TimeSpan.FromSeconds(options.ConnectRetrySeconds), cancellationToken);
        return true;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cannot reach the Orleans cluster yet ({Reason}); trying again in {RetrySeconds} s")]
    private partial void LogNotReachable(string reason, int retrySeconds);
}
