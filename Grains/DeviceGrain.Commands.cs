using Microsoft.Extensions.Logging;
using Orleans.IoT.Grains.Commands;
using Orleans.Runtime;

namespace Orleans.IoT.Grains;

/// <summary>
/// The device's commands: the grain's side of <see cref="CommandBook"/>, which holds the rules. A command is sent at
/// once to a device that is online, else when it is next heard from, in order. Expiry is watched by a grain timer
/// while the grain is active and by a reminder that outlives the activation and its silo (it fires every minute while
/// a command is open, and its first tick with none open removes it).
/// </summary>
public sealed partial class DeviceGrain
{
    private const string CommandExpiryReminder = "command-expiry";
    private static readonly TimeSpan ReminderPeriod = TimeSpan.FromMinutes(1);

    private IGrainTimer? _commandExpiryTimer;

    /// <summary>Whether the expiry reminder exists, as far as this activation knows (it was registered when a command opened).</summary>
    private bool _commandReminderRegistered;

    private CommandBook Commands => new(_commands.State, _services.Commands);

    public async Task<CommandOutcome> SendCommand(CommandRequest request, Caller caller, CancellationToken cancellationToken)
    {
        if (!caller.IsOperator)
        {
            return new CommandOutcome(DeviceResult.Refused(ErrorCodes.Forbidden, "only operators may send commands"), null);
        }

        if (!State.Registered)
        {
            return new CommandOutcome(DeviceResult.Refused(ErrorCodes.NotRegistered, $"device '{DeviceId}' is not registered"), null);
        }

        var now = Now();
        var (command, isNew, refusal) = Commands.Add(request, Guid.NewGuid().ToString("N"), now);
        if (refusal is not null)
        {
            return new CommandOutcome(refusal, null);
        }

        if (!isNew)
        {
            return new CommandOutcome(DeviceResult.Ok, command!.ToStatus(DeviceId), Repeated: true); // never sent twice
        }

        if (State.Online)
        {
            CommandBook.MarkSent(command!, now);
        }

        try
        {
            await WriteCommandsAsync(cancellationToken);
        }
        catch
        {
            _commands.State.Commands.Remove(command!);
            throw;
        }

        var status = command!.ToStatus(DeviceId);
        if (status.State == CommandStates.Sent)
        {
            await DeliverAsync(status, cancellationToken);
        }

        await AnnounceAsync(status, cancellationToken);
        await WatchCommandExpiryAsync();
        return new CommandOutcome(DeviceResult.Ok, status);
    }

    public async Task<DeviceResult> ReportCommand(string commandId, CommandReport report, Caller caller, CancellationToken cancellationToken)
    {
        if (Admit(caller) is { } refused)
        {
            return refused;
        }

        var previous = Commands.Find(commandId) is { } known ? (known.State, known.UpdatedAt, known.ResultJson, known.Error) : default;
        var result = Commands.Report(commandId, report, Now());
        if (!result.IsOk)
        {
            await SeenAsync("command", cancellationToken);
            return result;
        }

        var command = Commands.Find(commandId)!;
        try
        {
            await WriteCommandsAsync(cancellationToken);
        }
        catch
        {
            (command.State, command.UpdatedAt, command.ResultJson, command.Error) = previous;
            throw;
        }

        await AnnounceAsync(command.ToStatus(DeviceId), cancellationToken);
        await SeenAsync("command", cancellationToken);
        await WatchCommandExpiryAsync();
        return DeviceResult.Ok;
    }

    public Task<CommandStatus?> GetCommand(string commandId) => Task.FromResult(Commands.Find(commandId)?.ToStatus(DeviceId));

    public Task<IReadOnlyList<CommandStatus>> GetCommands() =>
        Task.FromResult<IReadOnlyList<CommandStatus>>([.. Commands.All.Select(c => c.ToStatus(DeviceId))]);

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (reminderName == CommandExpiryReminder)
        {
            await OnCommandReminderAsync();
        }
        else if (reminderName == FirmwareTimeoutReminder)
        {
            await ExpireFirmwareUpdateAsync(CancellationToken.None);
        }
    }

    /// <summary>Sends the commands that waited for the device to be heard from; a failure leaves them queued for next time.</summary>
    private async ValueTask SendQueuedCommandsAsync(CancellationToken cancellationToken)
    {
        var now = Now();
        var queued = Commands.Queued.ToList();
        foreach (var command in queued)
        {
            CommandBook.MarkSent(command, now);
        }

        try
        {
            await WriteCommandsAsync(cancellationToken);
        }
        catch (PassingFaultException ex)
        {
            foreach (var command in queued)
            {
                command.State = CommandStates.Queued;
            }

            LogCommandsNotSent(ex, DeviceId, queued.Count);
            return;
        }

        foreach (var command in queued)
        {
            var status = command.ToStatus(DeviceId);
            await DeliverAsync(status, cancellationToken);
            await AnnounceAsync(status, cancellationToken);
        }
    }

    private bool HasQueuedCommands => CommandBook.HasQueued(_commands.State);

    private async Task ExpireCommandsAsync(CancellationToken cancellationToken)
    {
        var expired = Commands.Expire(Now());
        if (expired.Count > 0)
        {
            await WriteCommandsAsync(cancellationToken);
            foreach (var command in expired)
            {
                await AnnounceAsync(command.ToStatus(DeviceId), cancellationToken);
            }
        }

        await WatchCommandExpiryAsync();
    }

    /// <summary>
    /// Arms the timer for the next expiry, and makes sure the reminder exists while a command is open. The reminder is
    /// removed only by its own tick once nothing is open, so that a device answering command after command costs one
    /// reminder write, not two per command.
    /// </summary>
    private async Task WatchCommandExpiryAsync()
    {
        _commandExpiryTimer?.Dispose();
        _commandExpiryTimer = null;
        if (Commands.NextExpiry is not { } next)
        {
            return;
        }

        var dueIn = TimeSpan.FromSeconds(Math.Max(0, next - Now()));
        _commandExpiryTimer = this.RegisterGrainTimer(ExpireCommandsAsync, new GrainTimerCreationOptions(dueIn, Timeout.InfiniteTimeSpan));
        if (!_commandReminderRegistered)
        {
            _commandReminderRegistered = await KeepReminderAsync(() => this.RegisterOrUpdateReminder(CommandExpiryReminder, ReminderPeriod, ReminderPeriod));
        }
    }

    private async Task OnCommandReminderAsync()
    {
        await ExpireCommandsAsync(CancellationToken.None);
        if (Commands.NextExpiry is null)
        {
            await KeepReminderAsync(async () =>
            {
                if (await this.GetReminder(CommandExpiryReminder) is { } reminder)
                {
                    await this.UnregisterReminder(reminder);
                }
            });
            _commandReminderRegistered = false;
        }
    }

    /// <summary>
    /// A reminder change that fails (its store unreachable) is logged, not thrown: the command's change is already stored
    /// and the timer watches it while the grain is active; failing now would make the operator send it again.
    /// </summary>
    private async Task<bool> KeepReminderAsync(Func<Task> change)
    {
        try
        {
            await change();
            return true;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogReminderFailed(ex, DeviceId);
            return false;
        }
    }

    private async Task WriteCommandsAsync(CancellationToken cancellationToken)
    {
        try
        {
            await _commands.WriteStateAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            throw new PassingFaultException("the device's commands could not be stored", ex);
        }
    }

    private async ValueTask DeliverAsync(CommandStatus command, CancellationToken cancellationToken)
    {
        try
        {
            await _services.Outbound.SendCommandAsync(State.Gateway, command, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The command stays sent: the device may still get it; if not, it expires.
            LogEventFailed(ex, DeviceId, "command delivery");
        }
    }

    /// <summary>Publishes the command's new state and records it in the audit.</summary>
    private async ValueTask AnnounceAsync(CommandStatus command, CancellationToken cancellationToken)
    {
        try
        {
            await _services.Events.CommandChanged(command, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogEventFailed(ex, DeviceId, "command");
        }

        await _services.RecordTransitionAsync(
            new LifecycleAuditEntry(DeviceId, LifecycleAuditKinds.Command, command.CommandId, command.State, DateTimeOffset.FromUnixTimeMilliseconds((long)(command.UpdatedAt * 1000)), CommandAudit.Detail(command)),
            cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not change the command-expiry reminder of device {DeviceId}; the grain's timer still watches expiry while it is active")]
    private partial void LogReminderFailed(Exception exception, string deviceId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not store that {Count} queued commands of device {DeviceId} were sent; they stay queued")]
    private partial void LogCommandsNotSent(Exception exception, string deviceId, int count);
}
