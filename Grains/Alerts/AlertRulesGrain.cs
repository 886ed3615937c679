using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Runtime;
using Orleans.Utilities;

namespace Orleans.IoT.Grains.Alerts;

/// <summary>
/// The fleet's alert rules: <c>Alerts:Rules</c> (version 0) until an operator sets others, which are stored with the
/// next version. Every silo's <see cref="AlertRuleSubscription"/> subscribes here; a change is sent to them all at
/// once and <see cref="SetRules"/> returns when each has answered, or has been dropped for not answering within
/// <see cref="NotifyTimeout"/> (it gets the rules at its next renewal). Subscriptions not renewed for
/// <see cref="SubscriptionLifetime"/>, and those of silos the cluster declared dead, are dropped.
/// </summary>
public sealed partial class AlertRulesGrain(
    [PersistentState("alert-rules", StorageNames.Devices)] IPersistentState<AlertRulesState> state,
    IOptions<AlertOptions> options,
    IClusterMembershipService membership,
    ILogger<AlertRulesGrain> logger) : Grain, IAlertRulesGrain
{
    public static readonly TimeSpan SubscriptionLifetime = 3 * AlertRuleSubscription.RenewalPeriod + TimeSpan.FromSeconds(5);
    public static readonly TimeSpan NotifyTimeout = TimeSpan.FromSeconds(5);

    /// <summary>At most this many problems are named in a refusal; the rest are counted.</summary>
    private const int MaxProblemsNamed = 10;

    private readonly ObserverManager<SiloAddress, IAlertRulesObserver> _silos = new(SubscriptionLifetime, logger);
    private AlertRuleSet? _rules;

    private AlertRuleSet Rules => _rules ??= state.RecordExists
        ? new AlertRuleSet(state.State.Version, state.State.Rules)
        : new AlertRuleSet(0, options.Value.AcceptedRules());

    public Task<AlertRuleSet> GetRules() => Task.FromResult(Rules);

    public Task<AlertRuleSet> Subscribe(SiloAddress silo, IAlertRulesObserver observer)
    {
        _silos.Subscribe(silo, observer);
        return Task.FromResult(Rules);
    }

    public async Task<AlertRulesOutcome> SetRules(IReadOnlyList<AlertRule> rules, Caller caller, long? expectedVersion, CancellationToken cancellationToken)
    {
        if (!caller.IsOperator)
        {
            return new AlertRulesOutcome(DeviceResult.Refused(ErrorCodes.Forbidden, "only operators may change the alert rules"), null);
        }

        if (expectedVersion is { } expected && expected != Rules.Version)
        {
            return new AlertRulesOutcome(
                DeviceResult.Refused(
                    ErrorCodes.PreconditionFailed,
                    $"the rules were changed since version {expected}: version {Rules.Version} is in force; read them again"),
                Rules);
        }

        if (!AlertRuleValidation.TryAccept(rules, "rules", out var accepted, out var problems))
        {
            var named = string.Join("; ", problems.Take(MaxProblemsNamed));
            var more = problems.Count > MaxProblemsNamed ? $"; and {problems.Count - MaxProblemsNamed} more" : "";
            return new AlertRulesOutcome(DeviceResult.Refused(ErrorCodes.ValidationFailed, named + more), null);
        }

        var next = new AlertRuleSet(Rules.Version + 1, accepted);
        var previous = state.State;
        state.State = new AlertRulesState { Version = next.Version, Rules = [.. accepted] };
        try
        {
            await state.WriteStateAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            state.State = previous;
            throw new PassingFaultException("the alert rules could not be stored", ex);
        }

        _rules = next;
        LogRulesSet(caller.Name, next.Version, accepted.Count);
        await NotifySilosAsync(next);
        return new AlertRulesOutcome(DeviceResult.Ok, next);
    }

    private async Task NotifySilosAsync(AlertRuleSet rules)
    {
        _silos.ClearExpired();
        var cluster = membership.CurrentSnapshot;
        var notifications = new List<Task>();
        foreach (var (silo, observer) in _silos.Observers)
        {
            if (cluster.GetSiloStatus(silo) == SiloStatus.Dead)
            {
                _silos.Unsubscribe(silo);
            }
            else
            {
                notifications.Add(NotifyAsync(silo, observer, rules));
            }
        }

        await Task.WhenAll(notifications);
    }

    private async Task NotifyAsync(SiloAddress silo, IAlertRulesObserver observer, AlertRuleSet rules)
    {
        try
        {
            await observer.RulesChanged(rules).WaitAsync(NotifyTimeout);
        }
        catch (Exception ex)
        {
            _silos.Unsubscribe(silo);
            LogSiloNotNotified(ex, silo, rules.Version);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Operator {Operator} set alert rules version {Version} ({Count} rules)")]
    private partial void LogRulesSet(string? @operator, long version, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Silo {Silo} did not take alert rules version {Version}; it gets them when it next renews its subscription")]
    private partial void LogSiloNotNotified(Exception exception, SiloAddress silo, long version);
}
