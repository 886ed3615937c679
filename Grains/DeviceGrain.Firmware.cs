using Microsoft.Extensions.Logging;
using Orleans.IoT.Grains.Firmware;
using Orleans.Runtime;

namespace Orleans.IoT.Grains;

/// <summary>
/// The device's firmware updates: the grain's side of <see cref="FirmwareBook"/>, which holds the rules. An update is
/// sent at once to a device that is online, else when it is next heard from. The timeout is watched by a grain timer
/// while the grain is active and by a reminder that outlives the activation and its silo (it fires every minute while
/// an update is in flight, and is removed when none is). When the device reports <c>updated</c>, its firmware version
/// becomes the update's, in its state and in the catalog.
/// </summary>
public sealed partial class DeviceGrain
{
    private const string FirmwareTimeoutReminder = "firmware-timeout";

    private readonly IPersistentState<FirmwareUpdatesState> _firmware;
    private IGrainTimer? _firmwareTimeoutTimer;

    private FirmwareBook Firmware => new(_firmware.State, _services.Firmware);

    public async Task<FirmwareOutcome> StartFirmwareUpdate(FirmwareRequest request, Caller caller, CancellationToken cancellationToken)
    {
        if (!caller.IsOperator)
        {
            return new FirmwareOutcome(DeviceResult.Refused(ErrorCodes.Forbidden, "only operators may start firmware updates"), null);
        }

        if (!State.Registered)
        {
            return new FirmwareOutcome(DeviceResult.Refused(ErrorCodes.NotRegistered, $"device '{DeviceId}' is not registered"), null);
        }

        var now = Now();
        var previous = _firmware.State.Copy();
        var (update, isNew, refusal) = Firmware.Start(request, Guid.NewGuid().ToString("N"), now);
        if (refusal is not null)
        {
            return new FirmwareOutcome(refusal, null);
        }

        if (!isNew)
        {
            return new FirmwareOutcome(DeviceResult.Ok, update!.ToStatus(DeviceId), Repeated: true); // never sent twice
        }

        if (State.Online)
        {
            FirmwareBook.MarkSent(update!, now);
        }

        try
        {
            await WriteFirmwareAsync(cancellationToken);
        }
        catch
        {
            _firmware.State = previous;
            throw;
        }

        var status = update!.ToStatus(DeviceId);
        if (status.State == FirmwareStates.Sent)
        {
            await DeliverFirmwareUpdateAsync(status, cancellationToken);
        }

        await AnnounceFirmwareAsync(status, audited: true, cancellationToken);
        await WatchFirmwareTimeoutAsync(hadOpen: false);
        return new FirmwareOutcome(DeviceResult.Ok, status);
    }

    public async Task<DeviceResult> ReportFirmwareProgress(string updateId, FirmwareProgress progress, Caller caller, CancellationToken cancellationToken)
    {
        if (Admit(caller) is { } refused)
        {
            return refused;
        }

        var previous = _firmware.State.Copy();
        var update = Firmware.Find(updateId);
        var stateBefore = update?.State;
        var result = Firmware.Report(updateId, progress, Now());
        if (!result.IsOk)
        {
            await SeenAsync("firmware", cancellationToken);
            return result;
        }

        if (update!.State == FirmwareStates.Updated)
        {
            await AdoptFirmwareVersionAsync(update.Version, previous, cancellationToken);
        }

        try
        {
            await WriteFirmwareAsync(cancellationToken);
        }
        catch
        {
            // A version already adopted stays: the device did update, and its resent report ends the update.
            _firmware.State = previous;
            throw;
        }

        if (update.State == FirmwareStates.Updated)
        {
            await _services.Catalog.UpsertAsync(CatalogEntry(), cancellationToken);
        }

        await AnnounceFirmwareAsync(update.ToStatus(DeviceId), audited: update.State != stateBefore, cancellationToken);
        await SeenAsync("firmware", cancellationToken);
        await WatchFirmwareTimeoutAsync(hadOpen: true);
        return DeviceResult.Ok;
    }

    public Task<FirmwareStatus?> GetFirmwareUpdate(string updateId) => Task.FromResult(Firmware.Find(updateId)?.ToStatus(DeviceId));

    public Task<IReadOnlyList<FirmwareStatus>> GetFirmwareUpdates() =>
        Task.FromResult<IReadOnlyList<FirmwareStatus>>([.. Firmware.All.Select(u => u.ToStatus(DeviceId))]);

    /// <summary>
    /// Stores the device's new firmware version before the update's end is stored, so that a failed write leaves the
    /// update open for the device's resent report rather than ended with the old version kept.
    /// </summary>
    private async Task AdoptFirmwareVersionAsync(string version, FirmwareUpdatesState previousUpdates, CancellationToken cancellationToken)
    {
        var (previousVersion, previousUpdatedAt) = (State.FirmwareVersion, State.UpdatedAt);
        State.FirmwareVersion = version;
        State.UpdatedAt = _services.Clock.GetUtcNow();
        try
        {
            await WriteStateAsync(cancellationToken);
        }
        catch
        {
            (State.FirmwareVersion, State.UpdatedAt) = (previousVersion, previousUpdatedAt);
            _firmware.State = previousUpdates;
            throw;
        }
    }

    /// <summary>Sends the update that waited for the device to be heard from; a failure leaves it initiated for next time.</summary>
    private bool HasInitiatedFirmwareUpdate => _firmware.State.Current is { State: FirmwareStates.Initiated };

    private async ValueTask SendInitiatedFirmwareUpdateAsync(CancellationToken cancellationToken)
    {
        if (_firmware.State.Current is not { State: FirmwareStates.Initiated } update)
        {
            return;
        }

        var previous = (update.State, update.UpdatedAt);
        FirmwareBook.MarkSent(update, Now());
        try
        {
            await WriteFirmwareAsync(cancellationToken);
        }
        catch (PassingFaultException ex)
        {
            (update.State, update.UpdatedAt) = previous;
            LogFirmwareUpdateNotSent(ex, DeviceId, update.Id);
            return;
        }

        var status = update.ToStatus(DeviceId);
        await DeliverFirmwareUpdateAsync(status, cancellationToken);
        await AnnounceFirmwareAsync(status, audited: true, cancellationToken);
        await WatchFirmwareTimeoutAsync(hadOpen: true); // sending restarts the timeout
    }

    private async Task ExpireFirmwareUpdateAsync(CancellationToken cancellationToken)
    {
        var previous = _firmware.State.Copy();
        if (Firmware.Expire(Now()) is { } expired)
        {
            try
            {
                await WriteFirmwareAsync(cancellationToken);
            }
            catch
            {
                _firmware.State = previous; // the reminder tries again
                throw;
            }

            await AnnounceFirmwareAsync(expired.ToStatus(DeviceId), audited: true, cancellationToken);
        }

        await WatchFirmwareTimeoutAsync(hadOpen: true);
    }

    /// <summary>
    /// Arms the timer for the timeout of the update in flight, and keeps the reminder while one is: registered when an
    /// update starts, removed when it ends (a reminder write only at those two moments).
    /// </summary>
    private async Task WatchFirmwareTimeoutAsync(bool hadOpen)
    {
        _firmwareTimeoutTimer?.Dispose();
        _firmwareTimeoutTimer = null;
        if (Firmware.ExpiresAt is { } expiresAt)
        {
            var dueIn = TimeSpan.FromSeconds(Math.Max(0, expiresAt - Now()));
            _firmwareTimeoutTimer = this.RegisterGrainTimer(ExpireFirmwareUpdateAsync, new GrainTimerCreationOptions(dueIn, Timeout.InfiniteTimeSpan));
            if (!hadOpen)
            {
                await this.RegisterOrUpdateReminder(FirmwareTimeoutReminder, ReminderPeriod, ReminderPeriod);
            }
        }
        else if (hadOpen && await this.GetReminder(FirmwareTimeoutReminder) is { } reminder)
        {
            await this.UnregisterReminder(reminder);
        }
    }

    private async Task WriteFirmwareAsync(CancellationToken cancellationToken)
    {
        try
        {
            await _firmware.WriteStateAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            throw new PassingFaultException("the device's firmware updates could not be stored", ex);
        }
    }

    private async ValueTask DeliverFirmwareUpdateAsync(FirmwareStatus update, CancellationToken cancellationToken)
    {
        try
        {
            await _services.Outbound.SendFirmwareUpdateAsync(State.Gateway, update, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The update stays sent: the device may still get it; if not, it times out.
            LogEventFailed(ex, DeviceId, "firmware update delivery");
        }
    }

    /// <summary>
    /// Publishes the update's new state or progress, and records a state it enters in the audit (more progress in the
    /// same state is published, not audited).
    /// </summary>
    private async ValueTask AnnounceFirmwareAsync(FirmwareStatus update, bool audited, CancellationToken cancellationToken)
    {
        try
        {
            await _services.Events.FirmwareChanged(update, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogEventFailed(ex, DeviceId, "firmware");
        }

        if (audited)
        {
            await _services.RecordTransitionAsync(
                new LifecycleAuditEntry(DeviceId, FirmwareAudit.Kind, update.UpdateId, update.State, DateTimeOffset.FromUnixTimeMilliseconds((long)(update.UpdatedAt * 1000)), FirmwareAudit.Detail(update)),
                cancellationToken);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not store that firmware update {UpdateId} of device {DeviceId} was sent; it stays initiated")]
    private partial void LogFirmwareUpdateNotSent(Exception exception, string deviceId, string updateId);
}
