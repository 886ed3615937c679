using System.Collections.Frozen;
using Microsoft.Extensions.Options;

namespace Orleans.IoT.Grains.Alerts;

/// <summary>
/// This silo's copy of the alert rules, indexed by sensor type, read by the device grains on every reading without a
/// call. It starts from <c>Alerts:Rules</c> and takes every newer rule set the rules grain sends
/// (<see cref="AlertRuleSubscription"/>); a set is swapped in whole, so a reading sees one set or the next, never a mix.
/// </summary>
public sealed class AlertRuleBook(IOptions<AlertOptions> options)
{
    /// <summary>Below the rules grain's first version (0, its configured rules), so that whatever it holds is taken.</summary>
    private const long ConfiguredVersion = -1;

    private volatile Index _index = new(new AlertRuleSet(ConfiguredVersion, options.Value.AcceptedRules()));

    public AlertRuleSet Rules => _index.Rules;

    /// <summary>The rules for readings of <paramref name="sensorType"/>, whatever the device's type; allocates nothing.</summary>
    public IReadOnlyList<AlertCondition> For(string sensorType) =>
        _index.BySensorType.TryGetValue(sensorType, out var conditions) ? conditions : [];

    /// <summary>Takes <paramref name="rules"/> when they are newer than the book's; returns whether it did.</summary>
    public bool Apply(AlertRuleSet rules)
    {
        var next = new Index(rules);
        while (true)
        {
            var current = _index;
            if (rules.Version <= current.Rules.Version)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref _index, next, current) == current)
            {
                return true;
            }
        }
    }

    private sealed class Index(AlertRuleSet rules)
    {
        public AlertRuleSet Rules { get; } = rules;

        public FrozenDictionary<string, AlertCondition[]> BySensorType { get; } = rules.Rules
            .Select(rule => new AlertCondition(rule))
            .GroupBy(condition => condition.SensorType, StringComparer.Ordinal)
            .ToFrozenDictionary(group => group.Key, group => group.ToArray(), StringComparer.Ordinal);
    }
}
