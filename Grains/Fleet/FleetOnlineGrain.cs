using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.IoT.Grains.Ports;
using Orleans.Runtime;

namespace Orleans.IoT.Grains.Fleet;

/// <summary>
/// Samples the devices online every minute on a reminder (in memory on the embedded node, in Redis in the durable
/// profile), so that sampling outlives a deactivation or a silo's death, and keeps the samples of the last
/// <see cref="FleetOnlineOptions.RetentionMinutes"/> in its persistent state. The counts are the catalog's own
/// (<see cref="IFleetCatalog"/>: one <c>GROUP BY</c> over an index in PostgreSQL), never the device grains'. A sampling
/// that fails (the catalog or the grain storage unreachable) skips that minute and never stops the reminder.
/// </summary>
public sealed partial class FleetOnlineGrain(
    [PersistentState("fleet-online", StorageNames.Devices)] IPersistentState<FleetOnlineState> state,
    IFleetCatalog catalog,
    TimeProvider clock,
    IOptions<FleetOnlineOptions> options,
    ILogger<FleetOnlineGrain> logger) : Grain, IFleetOnlineGrain, IRemindable
{
    private const string SamplingReminder = "fleet-online-sampling";

    private bool _reminderRegistered;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        await EnsureReminderAsync();
        await SampleAsync(cancellationToken);
    }

    public Task Start() => EnsureReminderAsync();

    public async Task<IReadOnlyList<FleetOnlineSample>> ReadSamples(int minutes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(minutes, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(minutes, FleetOnlineSample.MaxMinutes);
        await EnsureReminderAsync();
        return FleetOnlineHistory.Since(state.State.Samples, clock.GetUtcNow(), minutes);
    }

    public Task ReceiveReminder(string reminderName, TickStatus status) =>
        reminderName == SamplingReminder ? SampleAsync(CancellationToken.None) : Task.CompletedTask;

    /// <summary>Takes this minute's sample when it is due; a failure is logged and skips the minute.</summary>
    private async Task SampleAsync(CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        if (!FleetOnlineHistory.IsDue(state.State.Samples, now))
        {
            return;
        }

        FleetOnlineSample sample;
        try
        {
            sample = FleetOnlineHistory.Count(await catalog.CountByTypeAndStatusAsync(cancellationToken), now);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            LogSampleSkipped(ex);
            return;
        }

        FleetOnlineHistory.Add(state.State.Samples, sample, TimeSpan.FromMinutes(options.Value.RetentionMinutes));
        try
        {
            await state.WriteStateAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // The sample stays in memory and goes with the next write that succeeds.
            LogSamplesNotStored(ex);
        }
    }

    /// <summary>Registers the reminder once per activation; a failure is logged and tried again at the next call.</summary>
    private async Task EnsureReminderAsync()
    {
        if (_reminderRegistered)
        {
            return;
        }

        try
        {
            await this.RegisterOrUpdateReminder(SamplingReminder, FleetOnlineHistory.Period, FleetOnlineHistory.Period);
            _reminderRegistered = true;
        }
        catch (Exception ex)
        {
            LogReminderNotRegistered(ex);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The devices online could not be counted; this minute's sample is skipped")]
    private partial void LogSampleSkipped(Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The samples of devices online could not be stored; they are kept in memory until the next write")]
    private partial void LogSamplesNotStored(Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The reminder that samples the devices online could not be registered; it is tried again at the next call")]
    private partial void LogReminderNotRegistered(Exception exception);
}
