using Orleans.IoT.Gateway.Messaging;
using Orleans.IoT.Gateway.Routing;

namespace Orleans.IoT.Gateway.Handlers;

/// <summary>The alert routes: operators set and read the fleet's alert rules, and acknowledge alerts.</summary>
public sealed class AlertHandlers(IGrainFactory grains, IAlertReader alerts)
{
    public async ValueTask<MessageResult> SetRules(MessageContext context)
    {
        if (!RequestReader.TryReadAlertRules(context.Json, out var rules, out var error))
        {
            return MessageResult.Refused(ErrorCodes.ValidationFailed, error);
        }

        var outcome = await RulesGrain.SetRules(rules, context.Caller, cancellationToken: context.CancellationToken);
        return outcome.Result.IsOk
            ? MessageResult.Accepted(Payloads.AlertRules(outcome.Rules!))
            : MessageResult.Refused(outcome.Result.ErrorCode!, outcome.Result.Message ?? outcome.Result.ErrorCode!);
    }

    public async ValueTask<MessageResult> GetRules(MessageContext context) =>
        MessageResult.Accepted(Payloads.AlertRules(await RulesGrain.GetRules()));

    public async ValueTask<MessageResult> Acknowledge(MessageContext context)
    {
        if (context.Caller is not { IsOperator: true, Name: { } operatorName })
        {
            return MessageResult.Refused(ErrorCodes.Forbidden, "only operators may acknowledge alerts");
        }

        var alertId = context.Values.Required("alert_id");
        return await alerts.AcknowledgeAsync(alertId, operatorName, context.CancellationToken)
            ? MessageResult.Accepted(Payloads.AlertAcknowledged(alertId))
            : MessageResult.Refused(ErrorCodes.ValidationFailed, "no alert with this id");
    }

    private IAlertRulesGrain RulesGrain => grains.GetGrain<IAlertRulesGrain>(IAlertRulesGrain.Key);
}
