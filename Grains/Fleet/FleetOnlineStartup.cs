using Microsoft.Extensions.Logging;
using Orleans.Runtime;

namespace Orleans.IoT.Grains.Fleet;

/// <summary>
/// Starts the sampling of devices online when the silo becomes active, so that samples are taken whether or not anyone
/// reads them. Every silo does it (the grain is one, the call idempotent); the silo does not wait for it.
/// </summary>
public sealed partial class FleetOnlineStartup(IGrainFactory grains, ILogger<FleetOnlineStartup> logger) : ILifecycleParticipant<ISiloLifecycle>
{
    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(FleetOnlineStartup), ServiceLifecycleStage.Active, StartAsync);

    private Task StartAsync(CancellationToken cancellationToken)
    {
        _ = StartSamplingAsync();
        return Task.CompletedTask;
    }

    private async Task StartSamplingAsync()
    {
        try
        {
            await grains.GetGrain<IFleetOnlineGrain>(IFleetOnlineGrain.Key).Start();
        }
        catch (Exception ex)
        {
            LogNotStarted(ex);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The sampling of devices online did not start with this silo; it starts at the first read of the samples")]
    private partial void LogNotStarted(Exception exception);
}
