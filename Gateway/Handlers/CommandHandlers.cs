using Orleans.IoT.Gateway.Messaging;
using Orleans.IoT.Gateway.Routing;

namespace Orleans.IoT.Gateway.Handlers;

/// <summary>The command routes: an operator's command for a device, and the device's report on it.</summary>
public sealed class CommandHandlers(DeviceGrains grains)
{
    public async ValueTask<MessageResult> Send(MessageContext context)
    {
        if (!RequestReader.TryReadCommand(context.Json, out var request, out var error))
        {
            return MessageResult.Refused(ErrorCodes.ValidationFailed, error);
        }

        var outcome = await grains.Get(context.DeviceId!).SendCommand(request, context.Caller, context.CancellationToken);
        return outcome.Result.IsOk
            ? MessageResult.Accepted(Payloads.CommandState(outcome.Status!))
            : MessageResult.Refused(outcome.Result.ErrorCode!, outcome.Result.Message ?? outcome.Result.ErrorCode!, outcome.Result.RetryAfterSeconds);
    }

    public async ValueTask<MessageResult> Result(MessageContext context)
    {
        if (!RequestReader.TryReadCommandReport(context.Json, out var report, out var error))
        {
            return MessageResult.Refused(ErrorCodes.ValidationFailed, error);
        }

        var result = await grains.Get(context.DeviceId!).ReportCommand(context.Values.Required("command_id"), report, context.Caller, context.CancellationToken);
        return result.IsOk
            ? MessageResult.Accepted()
            : MessageResult.Refused(result.ErrorCode!, result.Message ?? result.ErrorCode!, result.RetryAfterSeconds);
    }
}
