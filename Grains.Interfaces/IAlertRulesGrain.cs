using Orleans.Concurrency;
using Orleans.Runtime;

namespace Orleans.IoT;

/// <summary>
/// The fleet's alert rules (one grain, key <see cref="Key"/>): seeded from <c>Alerts:Rules</c> until an operator sets
/// others, which are stored and take effect without a restart. Each silo keeps the rules in a cache of its own that
/// this grain updates, so that device grains never call it per reading.
/// </summary>
[Alias("iot.alert-rules")]
public interface IAlertRulesGrain : IGrainWithStringKey
{
    public const string Key = "fleet";

    [Alias("get"), ReadOnly]
    Task<AlertRuleSet> GetRules();

    /// <summary>
    /// Replaces the rules (operators only), checked as at start-up. Returns once every subscribed silo has the new
    /// rules, so that they apply to the next reading. With <paramref name="expectedVersion"/>, only if the rules in force
    /// are still that version (else <see cref="ErrorCodes.PreconditionFailed"/>), so that an operator's edit never
    /// silently replaces another's made meanwhile.
    /// </summary>
    [Alias("set")]
    Task<AlertRulesOutcome> SetRules(
        IReadOnlyList<AlertRule> rules, Caller caller, long? expectedVersion = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Subscribes (or renews) <paramref name="silo"/>'s cache to rule changes; returns the rules in force, so that a
    /// silo that missed a change catches up at its next renewal.
    /// </summary>
    [Alias("subscribe")]
    Task<AlertRuleSet> Subscribe(SiloAddress silo, IAlertRulesObserver observer);
}

/// <summary>A silo's cache of the alert rules, told of each change.</summary>
[Alias("iot.alert-rules-observer")]
public interface IAlertRulesObserver : IGrainObserver
{
    [Alias("rules-changed")]
    Task RulesChanged(AlertRuleSet rules);
}
