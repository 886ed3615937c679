using System.Text;
using Microsoft.Extensions.Logging;
using Orleans.IoT.Grains.Commands;
using Orleans.IoT.Grains.Config;
using Orleans.IoT.Grains.Firmware;
using Orleans.IoT.Grains.Ports;
using Orleans.Runtime;
using Orleans.Storage;

namespace Orleans.IoT.Grains;

/// <summary>
/// One device: registration, token, presence, metrics and latest readings. State is written when it
/// changes meaningfully (registration, status, presence transitions); last_seen, metrics and latest
/// readings are written behind, at most <see cref="WriteBehindOptions.WriteBehindSeconds"/> after they
/// change and when the grain deactivates, so a heartbeat or a reading costs no storage write of its own.
/// </summary>
public sealed partial class DeviceGrain : Grain, IDeviceGrain, IRemindable
{
    /// <summary>More distinct sensor types than this on one device is refused, so a device cannot grow its grain without bound.</summary>
    public const int MaxSensorTypes = 128;

    private readonly IPersistentState<DeviceState> _state;
    private readonly IPersistentState<CommandsState> _commands;
    private readonly IPersistentState<ConfigState> _config;
    private readonly DeviceGrainServices _services;
    private readonly ILogger<DeviceGrain> _logger;
    private IGrainTimer? _offlineTimer;
    private IGrainTimer? _writeBehindTimer;
    private bool _unsavedChanges;

    public DeviceGrain(
        [PersistentState("device", StorageNames.Devices)] IPersistentState<DeviceState> state,
        [PersistentState("commands", StorageNames.Devices)] IPersistentState<CommandsState> commands,
        [PersistentState("config", StorageNames.Devices)] IPersistentState<ConfigState> config,
        [PersistentState("firmware", StorageNames.Devices)] IPersistentState<FirmwareUpdatesState> firmware,
        DeviceGrainServices services,
        ILogger<DeviceGrain> logger)
    {
        _state = state;
        _commands = commands;
        _config = config;
        _firmware = firmware;
        _services = services;
        _logger = logger;
    }

    private DeviceState State => _state.State;

    private string DeviceId => this.GetPrimaryKeyString();

    /// <summary>Compares with the grain's key as stored (UTF-8), without decoding it into a new string per call.</summary>
    private bool IsThisDevice(string deviceId)
    {
        var key = this.GetGrainId().Key.AsSpan();
        Span<byte> encoded = stackalloc byte[256];
        return Encoding.UTF8.GetMaxByteCount(deviceId.Length) <= encoded.Length
            ? key.SequenceEqual(encoded[..Encoding.UTF8.GetBytes(deviceId, encoded)])
            : deviceId == DeviceId;
    }

    private TimeSpan OfflineAfter => TimeSpan.FromSeconds(_services.Presence.OfflineAfterSeconds);

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (State.Online)
        {
            _services.PresenceMetrics.CameOnline();
        }

        _services.GatewayDevices.Moved(DeviceId, null, State.Gateway);

        if (State.Registered && State.Online)
        {
            // The previous activation's timer died with it; keep watching for silence, and let the catalog say who does.
            StartOfflineTimer(RemainingUntilOffline(Now()));
            await _services.Catalog.UpsertAsync(CatalogEntry(), cancellationToken);
        }

        if (Commands.NextExpiry is not null)
        {
            _commandReminderRegistered = true; // registered when the first of these commands opened
            await WatchCommandExpiryAsync();
        }

        await WatchFirmwareTimeoutAsync(hadOpen: Firmware.Current is not null);
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        _services.GatewayDevices.Moved(DeviceId, State.Gateway, null);
        if (State.Online)
        {
            _services.PresenceMetrics.WentOffline(); // counted by the silo that activates it next

            // Its timer ends here, while the silo may live on (Orleans deactivates the grains whose directory partition
            // was on a silo that died): the catalog says no one watches it, and PresenceRecovery wakes it again.
            await _services.Catalog.UpsertAsync(CatalogEntry() with { WatchedBy = DeviceCatalogEntry.Unwatched }, cancellationToken);
        }

        if (!_unsavedChanges)
        {
            return;
        }

        try
        {
            await WriteStateAsync(cancellationToken);
        }
        catch (PassingFaultException ex)
        {
            // Only what is written behind (last seen, metrics, latest readings) is lost; every transition was stored.
            LogWriteBehindLost(ex, DeviceId);
            _services.WriteBehindFlush.Remove(DeviceId);
        }
    }

    public async Task<RegisterResult> Register(RegisterRequest request, Caller caller, CancellationToken cancellationToken)
    {
        var now = Now();
        if (CountRegistrationAttempt() is { } rateLimited)
        {
            return new RegisterResult(rateLimited, null, now);
        }

        // A certificate for this device proves what its token would, and lets it register itself: an operator who
        // issues device certificates has provisioned that device.
        var certified = IsCertifiedAsThisDevice(caller);
        var isRenewal = State.Registered;
        if (isRenewal && !caller.IsOperator && !certified && !DeviceToken.Matches(caller.DeviceToken, State.TokenHash))
        {
            return new RegisterResult(
                DeviceResult.Refused(ErrorCodes.AlreadyRegistered, $"device '{DeviceId}' is already registered; re-registering needs its current token or an operator"),
                null,
                now);
        }

        if (!isRenewal && !certified && caller.Kind is not (CallerKind.Provisioning or CallerKind.Operator))
        {
            return new RegisterResult(
                DeviceResult.Refused(ErrorCodes.Unauthorized, "registration needs a valid provisioning key"),
                null,
                now);
        }

        var token = DeviceToken.Create();
        var at = _services.Clock.GetUtcNow();
        var previous = State.Copy();
        State.Registered = true;
        State.Name = request.Name;
        State.Type = request.Type;
        State.FirmwareVersion = request.FirmwareVersion;
        State.HardwareVersion = request.HardwareVersion;
        State.Location = request.Location;
        State.Capabilities = [.. request.Capabilities];
        State.TokenHash = DeviceToken.Hash(token);
        State.CreatedAt ??= at;
        State.UpdatedAt = at;
        State.RegisteredAt = now;
        var gateway = caller.IsOperator ? State.Gateway : caller.Gateway ?? State.Gateway;
        _services.GatewayDevices.Moved(DeviceId, State.Gateway, gateway);
        State.Gateway = gateway;
        var presenceChange = MarkSeen(now, "registered");

        try
        {
            await WriteStateAsync(cancellationToken);
        }
        catch
        {
            // Nothing was stored, so nothing changed: the old token stays valid and the device may register again.
            RestoreState(previous);
            throw;
        }

        await PublishPresence(presenceChange, cancellationToken);
        if (presenceChange is null)
        {
            await _services.Catalog.UpsertAsync(CatalogEntry(), cancellationToken);
        }

        LogRegistered(DeviceId, isRenewal);
        if (SomethingWaits)
        {
            await SendWhatWaitedAsync(cancellationToken);
        }

        return new RegisterResult(DeviceResult.Ok, token, now);
    }

    public async Task<DeviceResult> Unregister(Caller caller, CancellationToken cancellationToken)
    {
        if (Authorize(caller) is { } refused)
        {
            return refused;
        }

        var now = Now();
        var previous = State.Copy();
        State.Registered = false;
        State.TokenHash = null;
        State.UpdatedAt = _services.Clock.GetUtcNow();
        var wasOnline = State.Online;
        SetOffline();

        try
        {
            await WriteStateAsync(cancellationToken);
        }
        catch
        {
            RestoreState(previous);
            throw;
        }

        StopOfflineTimer();
        await _services.Catalog.UpsertAsync(CatalogEntry(), cancellationToken);
        if (wasOnline)
        {
            await PublishPresence(new PresenceChange(DeviceId, false, "unregistered", now), cancellationToken);
        }

        LogUnregistered(DeviceId);
        return DeviceResult.Ok;
    }

    public async Task<DeviceResult> Heartbeat(DeviceMetrics metrics, Caller caller, CancellationToken cancellationToken)
    {
        if (Admit(caller) is { } refused)
        {
            return refused;
        }

        var current = State.Metrics;
        State.Metrics = new DeviceMetrics(
            metrics.BatteryLevel ?? current.BatteryLevel,
            metrics.SignalStrength ?? current.SignalStrength,
            metrics.MemoryUsage ?? current.MemoryUsage,
            metrics.CpuUsage ?? current.CpuUsage);
        await SeenAsync("heartbeat", cancellationToken);
        return DeviceResult.Ok;
    }

    public async Task<DeviceResult> ReportStatus(StatusReport report, Caller caller, CancellationToken cancellationToken)
    {
        if (Admit(caller) is { } refused)
        {
            return refused;
        }

        var changed = report.Status != State.Status || report.ExtraJson != State.StatusExtraJson;
        State.Status = report.Status;
        State.StatusExtraJson = report.ExtraJson;
        if (changed)
        {
            var presenceChange = MarkSeen(Now(), "status");
            await WriteStateAsync(cancellationToken);
            await PublishPresence(presenceChange, cancellationToken);
            if (SomethingWaits)
            {
                await SendWhatWaitedAsync(cancellationToken);
            }
        }
        else
        {
            await SeenAsync("status", cancellationToken);
        }

        return DeviceResult.Ok;
    }

    public async Task<DeviceResult> RecordReading(SensorReading reading, Caller caller, CancellationToken cancellationToken)
    {
        if (Admit(caller) is { } refused)
        {
            return refused;
        }

        if (!double.IsFinite(reading.Value) || !double.IsFinite(reading.Timestamp))
        {
            return DeviceResult.Refused(ErrorCodes.ValidationFailed, "value and timestamp must be finite numbers");
        }

        if (!State.Latest.ContainsKey(reading.SensorType) && State.Latest.Count >= MaxSensorTypes)
        {
            return DeviceResult.Refused(ErrorCodes.ValidationFailed, $"a device may report at most {MaxSensorTypes} sensor types");
        }

        var stored = IsThisDevice(reading.DeviceId) ? reading : reading with { DeviceId = DeviceId };
        try
        {
            await _services.History.AppendAsync(stored, cancellationToken);
        }
        catch (ReadingRefusedException)
        {
            return DeviceResult.Refused(ErrorCodes.InternalError, "the history store refused this reading");
        }

        // Only the latest reading of a sensor type moves its alerts: a late one (resent, or reordered) describes the past.
        IReadOnlyList<Alert>? alerts = null;
        if (!State.Latest.TryGetValue(stored.SensorType, out var latest) || latest.Timestamp <= stored.Timestamp)
        {
            State.Latest[stored.SensorType] = stored;
            alerts = await EvaluateAlertsAsync(stored, cancellationToken);
        }

        await SeenAsync("data", cancellationToken);
        try
        {
            await _services.Events.ReadingRecorded(stored, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The reading is stored: failing the message now would only make the device send it again.
            LogEventFailed(ex, DeviceId, "reading");
        }

        if (alerts is not null)
        {
            await AnnounceAlertsAsync(alerts, cancellationToken);
        }

        return DeviceResult.Ok;
    }

    public Task<bool> Authenticate(string token) => Task.FromResult(IsRegisteredOrLeave() && DeviceToken.Matches(token, State.TokenHash));

    public Task<bool> IsRegistered() => Task.FromResult(IsRegisteredOrLeave());

    public async Task FlushState(CancellationToken cancellationToken)
    {
        if (_unsavedChanges)
        {
            await WriteStateAsync(cancellationToken);
        }
    }

    /// <summary>
    /// Whether the device is registered. An unregistered device's grain (a look-up of a random client id or device id,
    /// say) leaves memory as soon as it is idle instead of staying active until collected, unless it is counting
    /// registration attempts: leaving would reset that count.
    /// </summary>
    private bool IsRegisteredOrLeave()
    {
        if (!State.Registered && !_unsavedChanges && !CountsRegistrationAttempts)
        {
            DeactivateOnIdle();
        }

        return State.Registered;
    }

    public Task<DeviceSnapshot> GetSnapshot() => Task.FromResult(new DeviceSnapshot(
        DeviceId,
        IsRegisteredOrLeave(), // an operator's look-up of an unknown id does not keep its grain in memory
        State.Name,
        State.Type,
        State.FirmwareVersion,
        State.HardwareVersion,
        State.Location,
        [.. State.Capabilities],
        State.RegisteredAt,
        DeviceStatuses.Of(State.Registered, State.Online),
        State.LastSeen,
        State.Status,
        State.StatusExtraJson,
        State.Metrics,
        new Dictionary<string, SensorReading>(State.Latest, StringComparer.Ordinal)));

    /// <summary>Checks registration and the caller's right to act for this device.</summary>
    private DeviceResult? Authorize(Caller caller)
    {
        if (!IsRegisteredOrLeave())
        {
            return DeviceResult.Refused(ErrorCodes.NotRegistered, $"device '{DeviceId}' is not registered");
        }

        if (caller.IsOperator || IsCertifiedAsThisDevice(caller) || DeviceToken.Matches(caller.DeviceToken, State.TokenHash))
        {
            return null;
        }

        return caller.DeviceToken is null
            ? DeviceResult.Refused(ErrorCodes.Unauthorized, "this message needs the device's auth_token")
            : DeviceResult.Refused(ErrorCodes.Unauthorized, "auth_token is not valid for this device");
    }

    /// <summary>A session the gateway proved, by its client certificate, to be this device (and no other).</summary>
    private bool IsCertifiedAsThisDevice(Caller caller) => caller.IsCertifiedDevice && IsThisDevice(caller.Name!);

    /// <summary>
    /// Marks the device heard from (writes now on a presence transition, else writes behind) and sends the commands
    /// that waited for it.
    /// </summary>
    private async ValueTask SeenAsync(string reason, CancellationToken cancellationToken)
    {
        if (MarkSeen(Now(), reason) is { } change)
        {
            await WriteStateAsync(cancellationToken);
            await PublishPresence(change, cancellationToken);
        }
        else
        {
            WriteBehind();
        }

        if (SomethingWaits)
        {
            await SendWhatWaitedAsync(cancellationToken);
        }
    }

    /// <summary>Whether something waits for the device to be heard from; cheap, as every message asks.</summary>
    private bool SomethingWaits => HasQueuedCommands || HasPendingConfig || HasInitiatedFirmwareUpdate;

    /// <summary>Sends what waited for the device to be heard from: its queued commands, the configuration it missed, its firmware update.</summary>
    private async ValueTask SendWhatWaitedAsync(CancellationToken cancellationToken)
    {
        if (HasQueuedCommands)
        {
            await SendQueuedCommandsAsync(cancellationToken);
        }

        if (HasPendingConfig)
        {
            await SendPendingConfigAsync(cancellationToken);
        }

        if (HasInitiatedFirmwareUpdate)
        {
            await SendInitiatedFirmwareUpdateAsync(cancellationToken);
        }
    }

    /// <summary>Schedules the write of what changes with every message (last seen, metrics, latest readings).</summary>
    private void WriteBehind()
    {
        if (!_unsavedChanges)
        {
            _unsavedChanges = true;
            _services.WriteBehindFlush.Add(DeviceId);
        }

        _writeBehindTimer ??= this.RegisterGrainTimer(
            WriteBehindAsync,
            new GrainTimerCreationOptions(TimeSpan.FromSeconds(_services.WriteBehind.WriteBehindSeconds), Timeout.InfiniteTimeSpan));
    }

    private async Task WriteBehindAsync(CancellationToken cancellationToken)
    {
        try
        {
            if (_unsavedChanges)
            {
                await WriteStateAsync(cancellationToken);
            }
        }
        finally
        {
            // Disposed last (disposing cancels the token this tick is using), and always, so the next change
            // schedules a fresh write even when this one failed.
            _writeBehindTimer?.Dispose();
            _writeBehindTimer = null;
        }
    }

    /// <summary>Writes the state; a storage that cannot take it is a passing fault (the message may be sent again).</summary>
    private async Task WriteStateAsync(CancellationToken cancellationToken)
    {
        try
        {
            await _state.WriteStateAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            if (ex is InconsistentStateException)
            {
                // The stored state moved on without this activation: read it afresh on the next call.
                DeactivateOnIdle();
            }

            throw new PassingFaultException("the device's state could not be stored", ex);
        }

        if (_unsavedChanges)
        {
            _unsavedChanges = false;
            _services.WriteBehindFlush.Remove(DeviceId);
        }
    }

    /// <summary>Goes back to <paramref name="previous"/> after a change could not be stored, the online gauge with it.</summary>
    private void RestoreState(DeviceState previous)
    {
        if (State.Online != previous.Online)
        {
            if (previous.Online)
            {
                _services.PresenceMetrics.CameOnline();
            }
            else
            {
                _services.PresenceMetrics.WentOffline();
            }
        }

        _services.GatewayDevices.Moved(DeviceId, State.Gateway, previous.Gateway);
        _state.State = previous;
    }

    private DeviceCatalogEntry CatalogEntry() => new(
        DeviceId,
        State.Name ?? string.Empty,
        State.Type ?? string.Empty,
        State.FirmwareVersion,
        State.HardwareVersion,
        State.Location,
        State.Capabilities,
        State.Registered,
        State.Online,
        State.LastSeen is { } lastSeen ? DateTimeOffset.FromUnixTimeMilliseconds((long)(lastSeen * 1000)) : null,
        State.CreatedAt ?? _services.Clock.GetUtcNow(),
        State.UpdatedAt ?? _services.Clock.GetUtcNow(),
        State.Online ? _services.Silo.SiloAddress.ToParsableString() : null);

    private double Now() => _services.Clock.GetUtcNow().ToUnixTimeMilliseconds() / 1000.0;

    [LoggerMessage(Level = LogLevel.Information, Message = "Device {DeviceId} registered (renewal: {Renewal})")]
    private partial void LogRegistered(string deviceId, bool renewal);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Device {DeviceId} deactivated without storing what it writes behind (last seen, metrics, latest readings)")]
    private partial void LogWriteBehindLost(Exception exception, string deviceId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not publish the {Event} event of device {DeviceId}")]
    private partial void LogEventFailed(Exception exception, string deviceId, string @event);

    [LoggerMessage(Level = LogLevel.Information, Message = "Device {DeviceId} unregistered")]
    private partial void LogUnregistered(string deviceId);
}
