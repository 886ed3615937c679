namespace Orleans.IoT.Grains.Commands;

/// <summary>
/// The rules of a device's commands (DESIGN §3), as pure transitions over <see cref="CommandsState"/>:
/// <c>queued</c> → <c>sent</c> → <c>delivered</c> → <c>succeeded</c> / <c>failed</c> / <c>rejected</c>, or
/// <c>expired</c> when the time to live passes first. The grain persists the state and carries out the effects.
/// </summary>
public sealed class CommandBook(CommandsState state, CommandOptions options)
{
    /// <summary>Queues a new command, or finds the one already known under the same id (never sent twice).</summary>
    public (CommandRecord? Command, bool IsNew, DeviceResult? Refusal) Add(CommandRequest request, string newId, double now)
    {
        if (request.CommandId is { } id && Find(id) is { } known)
        {
            return (known, false, null);
        }

        // Open commands, not only queued ones: a device that never answers must not grow its state until they expire.
        if (state.Commands.Count(c => c.IsOpen) >= options.MaxQueuedPerDevice)
        {
            return (null, false, DeviceResult.Refused(
                ErrorCodes.RateLimited,
                $"the device already has {options.MaxQueuedPerDevice} open commands (Commands:MaxQueuedPerDevice)"));
        }

        var command = new CommandRecord
        {
            Id = request.CommandId ?? newId,
            Command = request.Command,
            ParametersJson = request.ParametersJson,
            CreatedAt = now,
            UpdatedAt = now,
            ExpiresAt = now + request.TtlSeconds,
        };
        state.Commands.Add(command);
        ForgetOldestEnded();
        return (command, true, null);
    }

    public CommandRecord? Find(string commandId) => state.Commands.Find(c => c.Id == commandId);

    /// <summary>The commands waiting to be sent, in the order they came.</summary>
    public IEnumerable<CommandRecord> Queued => state.Commands.Where(c => c.State == CommandStates.Queued);

    /// <summary>Whether a command waits to be sent; asked on every message, so it is static over the state and allocates nothing.</summary>
    public static bool HasQueued(CommandsState state)
    {
        foreach (var command in state.Commands)
        {
            if (command.State == CommandStates.Queued)
            {
                return true;
            }
        }

        return false;
    }

    public static void MarkSent(CommandRecord command, double now) => Move(command, CommandStates.Sent, now);

    /// <summary>Applies the device's report: <c>delivered</c> once it was sent, an outcome once sent or delivered.</summary>
    public DeviceResult Report(string commandId, CommandReport report, double now)
    {
        if (Find(commandId) is not { } command)
        {
            return DeviceResult.Refused(ErrorCodes.ValidationFailed, "the device has no such command");
        }

        if (!command.IsOpen)
        {
            return DeviceResult.Refused(ErrorCodes.ValidationFailed, $"the command has already ended ({command.State})");
        }

        var allowed = report.Status == CommandStates.Delivered
            ? command.State == CommandStates.Sent
            : command.State is CommandStates.Sent or CommandStates.Delivered;
        if (!allowed)
        {
            return DeviceResult.Refused(ErrorCodes.ValidationFailed, $"a command that is {command.State} cannot become {report.Status}");
        }

        Move(command, report.Status, now);
        command.ResultJson = report.ResultJson;
        command.Error = report.Error;
        return DeviceResult.Ok;
    }

    /// <summary>Ends every open command whose time to live has passed; returns them.</summary>
    public List<CommandRecord> Expire(double now)
    {
        var expired = state.Commands.Where(c => c.IsOpen && c.ExpiresAt <= now).ToList();
        foreach (var command in expired)
        {
            Move(command, CommandStates.Expired, now);
        }

        return expired;
    }

    /// <summary>When the next open command expires, if any is open.</summary>
    public double? NextExpiry => state.Commands.Where(c => c.IsOpen).Select(c => (double?)c.ExpiresAt).Min();

    public IReadOnlyList<CommandRecord> All => state.Commands;

    private static void Move(CommandRecord command, string to, double now)
    {
        command.State = to;
        command.UpdatedAt = now;
    }

    /// <summary>Keeps at most <see cref="CommandOptions.RememberEnded"/> ended commands, so that the state stays bounded.</summary>
    private void ForgetOldestEnded()
    {
        var ended = state.Commands.Count(c => !c.IsOpen);
        for (var i = 0; ended > options.RememberEnded && i < state.Commands.Count;)
        {
            if (state.Commands[i].IsOpen)
            {
                i++;
                continue;
            }

            state.Commands.RemoveAt(i);
            ended--;
        }
    }
}
