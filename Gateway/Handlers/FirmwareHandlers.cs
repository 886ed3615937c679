using Orleans.IoT.Gateway.Messaging;
using Orleans.IoT.Gateway.Routing;

namespace Orleans.IoT.Gateway.Handlers;

/// <summary>The firmware routes: an operator's update for a device, and the device's progress on it.</summary>
public sealed class FirmwareHandlers(DeviceGrains grains)
{
    public async ValueTask<MessageResult> Update(MessageContext context)
    {
        if (!RequestReader.TryReadFirmwareUpdate(context.Json, out var request, out var error))
        {
            return MessageResult.Refused(ErrorCodes.ValidationFailed, error);
        }

        var outcome = await grains.Get(context.DeviceId!).StartFirmwareUpdate(request, context.Caller, context.CancellationToken);
        return outcome.Result.IsOk
            ? MessageResult.Accepted(Payloads.FirmwareState(outcome.Status!))
            : MessageResult.Refused(outcome.Result.ErrorCode!, outcome.Result.Message ?? outcome.Result.ErrorCode!, outcome.Result.RetryAfterSeconds);
    }

    public async ValueTask<MessageResult> Progress(MessageContext context)
    {
        if (!RequestReader.TryReadFirmwareProgress(context.Json, out var progress, out var error))
        {
            return MessageResult.Refused(ErrorCodes.ValidationFailed, error);
        }

        var result = await grains.Get(context.DeviceId!).ReportFirmwareProgress(context.Values.Required("update_id"), progress, context.Caller, context.CancellationToken);
        return result.IsOk
            ? MessageResult.Accepted()
            : MessageResult.Refused(result.ErrorCode!, result.Message ?? result.ErrorCode!, result.RetryAfterSeconds);
    }
}
