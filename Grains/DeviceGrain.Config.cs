using Microsoft.Extensions.Logging;
using Orleans.IoT.Grains.Config;

namespace Orleans.IoT.Grains;

/// <summary>
/// The device's configuration twin: the grain's side of <see cref="ConfigBook"/>, which holds the rules. An update is
/// sent at once to a device that is online; a device that was offline gets the whole desired configuration, once,
/// when it is next heard from.
/// </summary>
public sealed partial class DeviceGrain
{
    private ConfigBook Config => new(_config.State);

    public async Task<ConfigOutcome> UpdateConfig(ConfigUpdate update, Caller caller, CancellationToken cancellationToken)
    {
        if (!caller.IsOperator)
        {
            return new ConfigOutcome(DeviceResult.Refused(ErrorCodes.Forbidden, "only operators may change a device's configuration"), null);
        }

        if (!State.Registered)
        {
            return new ConfigOutcome(DeviceResult.Refused(ErrorCodes.NotRegistered, $"device '{DeviceId}' is not registered"), null);
        }

        var before = Copy(_config.State);
        var now = Now();
        var (record, isNew) = Config.Apply(update, Guid.NewGuid().ToString("N"), now);
        if (!isNew)
        {
            return new ConfigOutcome(DeviceResult.Ok, record.ToStatus(DeviceId), Repeated: true); // applied once
        }

        var send = State.Online ? Config.Send(record, now) : null;
        try
        {
            await WriteConfigAsync(cancellationToken);
        }
        catch
        {
            _config.State = before;
            throw;
        }

        var status = record.ToStatus(DeviceId);
        if (send is not null)
        {
            await DeliverConfigAsync(send.ToStatus(DeviceId), cancellationToken);
        }

        await AnnounceConfigAsync(status, cancellationToken);
        return new ConfigOutcome(DeviceResult.Ok, status);
    }

    public async Task<DeviceResult> ReportConfig(string configId, ConfigReport report, Caller caller, CancellationToken cancellationToken)
    {
        if (Admit(caller) is { } refused)
        {
            return refused;
        }

        var before = Copy(_config.State);
        var result = Config.Report(configId, report, Now());
        if (result.IsOk)
        {
            try
            {
                await WriteConfigAsync(cancellationToken);
            }
            catch
            {
                _config.State = before;
                throw;
            }

            await AnnounceConfigAsync(Config.Find(configId)!.ToStatus(DeviceId), cancellationToken);
        }

        await SeenAsync("config", cancellationToken);
        return result;
    }

    public Task<ConfigTwin> GetConfig() => Task.FromResult(Config.Twin(DeviceId));

    private bool HasPendingConfig => ConfigBook.HasPending(_config.State);

    /// <summary>Sends the whole desired configuration to a device heard from after missing updates; a failure leaves them pending.</summary>
    private async ValueTask SendPendingConfigAsync(CancellationToken cancellationToken)
    {
        var before = Copy(_config.State);
        var update = Config.CatchUp(Now());
        try
        {
            await WriteConfigAsync(cancellationToken);
        }
        catch (PassingFaultException ex)
        {
            _config.State = before;
            LogConfigNotSent(ex, DeviceId);
            return;
        }

        var status = update.ToStatus(DeviceId);
        await DeliverConfigAsync(status, cancellationToken);
        await AnnounceConfigAsync(status, cancellationToken);
    }

    private async Task WriteConfigAsync(CancellationToken cancellationToken)
    {
        try
        {
            await _config.WriteStateAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            throw new PassingFaultException("the device's configuration could not be stored", ex);
        }
    }

    private async ValueTask DeliverConfigAsync(ConfigStatus update, CancellationToken cancellationToken)
    {
        try
        {
            await _services.Outbound.SendConfigAsync(State.Gateway, update, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogEventFailed(ex, DeviceId, "configuration delivery");
        }
    }

    private async ValueTask AnnounceConfigAsync(ConfigStatus update, CancellationToken cancellationToken)
    {
        try
        {
            await _services.Events.ConfigChanged(update, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogEventFailed(ex, DeviceId, "configuration");
        }

        await _services.RecordTransitionAsync(
            new LifecycleAuditEntry(DeviceId, LifecycleAuditKinds.Config, update.ConfigId, update.State, DateTimeOffset.FromUnixTimeMilliseconds((long)(update.UpdatedAt * 1000)), ConfigAudit.Detail(update)),
            cancellationToken);
    }

    private static ConfigState Copy(ConfigState state) => new()
    {
        DesiredJson = state.DesiredJson,
        DesiredVersion = state.DesiredVersion,
        ReportedJson = state.ReportedJson,
        ReportedVersion = state.ReportedVersion,
        Updates = [.. state.Updates.Select(u => new ConfigRecord { Id = u.Id, Version = u.Version, UpdatesJson = u.UpdatesJson, State = u.State, UpdatedAt = u.UpdatedAt, Error = u.Error })],
    };

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not store that the configuration of device {DeviceId} was sent; it stays pending")]
    private partial void LogConfigNotSent(Exception exception, string deviceId);
}
