namespace Orleans.IoT.Grains.Firmware;

/// <summary>
/// The rules of a device's firmware updates (DESIGN §3), as pure transitions over <see cref="FirmwareUpdatesState"/>:
/// <c>initiated</c> (device offline) → <c>sent</c> → <c>downloading</c> → <c>downloaded</c> → <c>verified</c> →
/// <c>updating</c> → <c>updated</c>, or <c>failed</c> from any open state, or <c>expired</c> when no progress is made
/// for <see cref="FirmwareOptions.TimeoutSeconds"/>. One update is in flight per device. The grain persists the state
/// and carries out the effects.
/// </summary>
public sealed class FirmwareBook(FirmwareUpdatesState state, FirmwareOptions options)
{
    /// <summary>The order an update moves in; a device's report may repeat its state (more progress) or move forward, skipping states it does not report.</summary>
    private static readonly string[] Path =
    [
        FirmwareStates.Initiated,
        FirmwareStates.Sent,
        FirmwareStates.Downloading,
        FirmwareStates.Downloaded,
        FirmwareStates.Verified,
        FirmwareStates.Updating,
        FirmwareStates.Updated,
    ];

    /// <summary>The update in flight, if any.</summary>
    public FirmwareUpdateRecord? Current => state.Current;

    /// <summary>Starts a new update, or finds the one already known under the same id (never sent twice).</summary>
    public (FirmwareUpdateRecord? Update, bool IsNew, DeviceResult? Refusal) Start(FirmwareRequest request, string newId, double now)
    {
        if (request.UpdateId is { } id && Find(id) is { } known)
        {
            return (known, false, null);
        }

        if (state.Current is { } inFlight)
        {
            // validation_failed, as for a report that does not fit a lifecycle: the request is refused for what it asks
            // in the device's present state. rate_limited would promise a retry_after no one knows (an update may take
            // an hour), and forbidden would say the operator lacks a right.
            return (null, false, DeviceResult.Refused(
                ErrorCodes.ValidationFailed,
                $"the device already has a firmware update in flight ('{inFlight.Id}', {inFlight.State}); another may start once it has ended"));
        }

        var update = new FirmwareUpdateRecord
        {
            Id = request.UpdateId ?? newId,
            Version = request.Version,
            Url = request.Url,
            Checksum = request.Checksum,
            CreatedAt = now,
            UpdatedAt = now,
        };
        state.Current = update;
        return (update, true, null);
    }

    public FirmwareUpdateRecord? Find(string updateId) =>
        state.Current is { } current && current.Id == updateId ? current : state.Ended.Find(u => u.Id == updateId);

    /// <summary>The recently ended updates, oldest first, then the one in flight.</summary>
    public IEnumerable<FirmwareUpdateRecord> All => state.Current is { } current ? state.Ended.Append(current) : state.Ended;

    public static void MarkSent(FirmwareUpdateRecord update, double now) => Move(update, FirmwareStates.Sent, now);

    /// <summary>
    /// Applies the device's report to its update in flight: a state further along <see cref="Path"/>, the same state
    /// with more progress, or <c>failed</c>. Anything else is refused and changes nothing.
    /// </summary>
    public DeviceResult Report(string updateId, FirmwareProgress progress, double now)
    {
        if (Find(updateId) is not { } update)
        {
            return DeviceResult.Refused(ErrorCodes.ValidationFailed, "the device has no such firmware update");
        }

        if (!update.IsOpen)
        {
            return DeviceResult.Refused(ErrorCodes.ValidationFailed, $"the firmware update has already ended ({update.State})");
        }

        if (!FirmwareStates.IsReportable(progress.State))
        {
            return DeviceResult.Refused(ErrorCodes.ValidationFailed, "'state' must be downloading, downloaded, verified, updating, updated or failed");
        }

        if (progress.Progress is { } percent && !(percent is >= 0 and <= 100))
        {
            return DeviceResult.Refused(ErrorCodes.ValidationFailed, "'progress' must be a number from 0 to 100");
        }

        if (progress.State != FirmwareStates.Failed && Array.IndexOf(Path, progress.State) < Array.IndexOf(Path, update.State))
        {
            return DeviceResult.Refused(ErrorCodes.ValidationFailed, $"a firmware update that is {update.State} cannot go back to {progress.State}");
        }

        Move(update, progress.State, now);
        update.Progress = progress.Progress;
        update.Error = progress.Error;
        EndIfFinal(update);
        return DeviceResult.Ok;
    }

    /// <summary>Ends the update in flight when it has made no progress for the timeout; returns it then.</summary>
    public FirmwareUpdateRecord? Expire(double now)
    {
        if (state.Current is not { } update || update.UpdatedAt + options.TimeoutSeconds > now)
        {
            return null;
        }

        Move(update, FirmwareStates.Expired, now);
        update.Error = $"no progress for {options.TimeoutSeconds} s (Firmware:TimeoutSeconds)";
        EndIfFinal(update);
        return update;
    }

    /// <summary>When the update in flight expires unless it makes progress first, if one is in flight.</summary>
    public double? ExpiresAt => state.Current?.UpdatedAt + options.TimeoutSeconds;

    private static void Move(FirmwareUpdateRecord update, string to, double now)
    {
        update.State = to;
        update.UpdatedAt = now;
    }

    /// <summary>Moves an update that has ended out of flight, keeping at most <see cref="FirmwareOptions.RememberEnded"/> ended ones.</summary>
    private void EndIfFinal(FirmwareUpdateRecord update)
    {
        if (update.IsOpen)
        {
            return;
        }

        state.Current = null;
        state.Ended.Add(update);
        if (state.Ended.Count > options.RememberEnded)
        {
            state.Ended.RemoveRange(0, state.Ended.Count - options.RememberEnded);
        }
    }
}
