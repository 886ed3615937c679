using System.Globalization;
using System.Text.RegularExpressions;

namespace Orleans.IoT.Grains.Alerts;

/// <summary>
/// What an alert rule must be, at start-up (<c>Alerts:Rules</c>) and when an operator sets rules alike; accepted rules
/// come out complete, with their id.
/// </summary>
public static partial class AlertRuleValidation
{
    public const int MaxIdLength = 128;
    public const int MaxDeviceTypeLength = 128;

    /// <summary>The seed guide's rule, in force when none is configured.</summary>
    public static readonly AlertRule DefaultRule = new()
    {
        SensorType = "temperature",
        Operator = AlertOperators.Greater,
        Threshold = 80,
        Severity = AlertSeverities.High,
    };

    /// <summary>How problems name the rules given at start-up: as their configuration keys, <c>Alerts:Rules:2:Threshold</c>.</summary>
    public const string ConfigurationPrefix = AlertOptions.Section + ":Rules";

    /// <summary>
    /// Checks every rule; on success <paramref name="accepted"/> holds them complete (an id derived where none was
    /// given, an empty device type as none), else <paramref name="problems"/> names each bad rule and field as
    /// <c>{prefix}:{index}:{field}</c>, never quoting what the field holds.
    /// </summary>
    public static bool TryAccept(IReadOnlyList<AlertRule?>? rules, string prefix, out IReadOnlyList<AlertRule> accepted, out IReadOnlyList<string> problems)
    {
        var found = new List<string>();
        var result = new List<AlertRule>();
        if (rules is null)
        {
            found.Add("the rules are missing");
        }
        else if (rules.Count > AlertRuleSet.MaxRules)
        {
            found.Add($"at most {AlertRuleSet.MaxRules} alert rules may be set, not {rules.Count}");
        }
        else
        {
            var ids = new Dictionary<string, int>(StringComparer.Ordinal);
            for (var i = 0; i < rules.Count; i++)
            {
                if (Accept(rules[i], $"{prefix}:{i}", found) is not { } rule)
                {
                    continue;
                }

                if (ids.TryAdd(rule.Id!, i))
                {
                    result.Add(rule);
                }
                else
                {
                    found.Add($"{prefix}:{i}:{nameof(AlertRule.Id)} is the same as that of {prefix}:{ids[rule.Id!]}; give one of them another Id");
                }
            }
        }

        accepted = found.Count == 0 ? result : [];
        problems = found;
        return found.Count == 0;
    }

    private static AlertRule? Accept(AlertRule? rule, string key, List<string> problems)
    {
        if (rule is null)
        {
            problems.Add($"{key} is missing");
            return null;
        }

        var before = problems.Count;
        if (rule.SensorType is null || !SensorTypePattern().IsMatch(rule.SensorType))
        {
            problems.Add($"{key}:SensorType must be a sensor type: a letter or digit, then up to 63 letters, digits, '_', '.' or '-'");
        }

        if (rule.Operator is null || !AlertOperators.All.Contains(rule.Operator))
        {
            problems.Add($"{key}:Operator must be one of {string.Join(", ", AlertOperators.All)}");
        }

        if (rule.Threshold is not { } threshold || !double.IsFinite(threshold))
        {
            problems.Add($"{key}:Threshold must be a finite number");
        }

        if (!AlertSeverities.IsValid(rule.Severity))
        {
            problems.Add($"{key}:Severity must be one of {string.Join(", ", AlertSeverities.All)}");
        }

        var deviceType = string.IsNullOrEmpty(rule.DeviceType) ? null : rule.DeviceType;
        if (deviceType is not null && !IsText(deviceType, MaxDeviceTypeLength))
        {
            problems.Add($"{key}:DeviceType must be at most {MaxDeviceTypeLength} characters without control characters");
        }

        var id = string.IsNullOrWhiteSpace(rule.Id) ? null : rule.Id;
        if (id is not null && !IsText(id, MaxIdLength))
        {
            problems.Add($"{key}:Id must be at most {MaxIdLength} characters without control characters");
        }

        if (rule.ClearThreshold is { } clear)
        {
            if (!double.IsFinite(clear))
            {
                problems.Add($"{key}:ClearThreshold must be a finite number");
            }
            else if (rule.Threshold is { } limit && ClearThresholdProblem(rule.Operator, clear, limit) is { } problem)
            {
                problems.Add($"{key}:ClearThreshold {problem}");
            }
        }

        if (problems.Count > before)
        {
            return null;
        }

        return rule with { Id = id ?? DerivedId(rule.SensorType!, rule.Operator!, rule.Threshold!.Value, deviceType), DeviceType = deviceType };
    }

    /// <summary>Hysteresis must widen the alert, never narrow it: an alert that clears must have stopped holding.</summary>
    private static string? ClearThresholdProblem(string? @operator, double clear, double threshold) => @operator switch
    {
        AlertOperators.Greater or AlertOperators.GreaterOrEqual when clear > threshold => $"must not be above the Threshold with {@operator}",
        AlertOperators.Less or AlertOperators.LessOrEqual when clear < threshold => $"must not be below the Threshold with {@operator}",
        AlertOperators.Equal => "is not allowed with ==",
        _ => null,
    };

    /// <summary>A readable id for a rule given without one: <c>temperature&gt;80</c>, <c>temperature&gt;80@thermometer</c>.</summary>
    private static string DerivedId(string sensorType, string @operator, double threshold, string? deviceType)
    {
        var id = sensorType + @operator + threshold.ToString("R", CultureInfo.InvariantCulture);
        return deviceType is null ? id : $"{id}@{deviceType}";
    }

    private static bool IsText(string value, int maxLength) => value.Length <= maxLength && !value.Any(char.IsControl);

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")]
    private static partial Regex SensorTypePattern();
}
