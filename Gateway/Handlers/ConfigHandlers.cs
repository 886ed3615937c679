using Orleans.IoT.Gateway.Messaging;
using Orleans.IoT.Gateway.Routing;

namespace Orleans.IoT.Gateway.Handlers;

/// <summary>The configuration routes: an operator's update of a device's desired configuration, and the device's answer.</summary>
public sealed class ConfigHandlers(DeviceGrains grains)
{
    public async ValueTask<MessageResult> Update(MessageContext context)
    {
        if (!RequestReader.TryReadConfigUpdate(context.Json, out var update, out var error))
        {
            return MessageResult.Refused(ErrorCodes.ValidationFailed, error);
        }

        var outcome = await grains.Get(context.DeviceId!).UpdateConfig(update, context.Caller, context.CancellationToken);
        return outcome.Result.IsOk
            ? MessageResult.Accepted(Payloads.ConfigState(outcome.Status!))
            : MessageResult.Refused(outcome.Result.ErrorCode!, outcome.Result.Message ?? outcome.Result.ErrorCode!);
    }

    public async ValueTask<MessageResult> Result(MessageContext context)
    {
        if (!RequestReader.TryReadConfigReport(context.Json, out var report, out var error))
        {
            return MessageResult.Refused(ErrorCodes.ValidationFailed, error);
        }

        var result = await grains.Get(context.DeviceId!).ReportConfig(context.Values.Required("config_id"), report, context.Caller, context.CancellationToken);
        return result.IsOk
            ? MessageResult.Accepted()
            : MessageResult.Refused(result.ErrorCode!, result.Message ?? result.ErrorCode!, result.RetryAfterSeconds);
    }
}
