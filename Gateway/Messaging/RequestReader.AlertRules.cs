using System.Diagnostics.CodeAnalysis;
using System.Text.Json;

namespace Orleans.IoT.Gateway.Messaging;

public static partial class RequestReader
{
    /// <summary>
    /// An operator's alert rules, <c>{"rules":[{"id", "sensor_type", "device_type", "operator", "threshold", "severity",
    /// "clear_threshold"}, ...]}</c>, at most <see cref="AlertRuleSet.MaxRules"/>: each field of the JSON kind it must
    /// have, the required ones present, a refusal naming the field as <c>rules[2].threshold</c>. What the values mean
    /// (operators, severities, hysteresis, duplicate ids) the rules grain checks, as it does at start-up.
    /// </summary>
    public static bool TryReadAlertRules(JsonElement json, [NotNullWhen(true)] out IReadOnlyList<AlertRule>? rules, [NotNullWhen(false)] out string? error)
    {
        rules = null;
        if (!json.TryGetProperty("rules", out var element) || element.ValueKind == JsonValueKind.Null)
        {
            error = "'rules' is required";
            return false;
        }

        if (element.ValueKind != JsonValueKind.Array || element.GetArrayLength() > AlertRuleSet.MaxRules)
        {
            error = $"'rules' must be an array of at most {AlertRuleSet.MaxRules} rules";
            return false;
        }

        var list = new List<AlertRule>(element.GetArrayLength());
        foreach (var item in element.EnumerateArray())
        {
            if (!TryReadAlertRule(item, $"rules[{list.Count}]", out var rule, out error))
            {
                return false;
            }

            list.Add(rule);
        }

        rules = list;
        error = null;
        return true;
    }

    private static bool TryReadAlertRule(JsonElement json, string name, [NotNullWhen(true)] out AlertRule? rule, [NotNullWhen(false)] out string? error)
    {
        rule = null;
        if (json.ValueKind != JsonValueKind.Object)
        {
            error = $"'{name}' must be an object";
            return false;
        }

        var path = name + ".";
        if (!TryOptionalText(json, "id", out var id, out error, path)
            || !TryRequiredText(json, "sensor_type", out var sensorType, out error, path)
            || !TryOptionalText(json, "device_type", out var deviceType, out error, path)
            || !TryRequiredText(json, "operator", out var @operator, out error, path)
            || !TryOptionalNumber(json, "threshold", out var threshold, out error, path)
            || !TryRequiredText(json, "severity", out var severity, out error, path)
            || !TryOptionalNumber(json, "clear_threshold", out var clearThreshold, out error, path))
        {
            return false;
        }

        if (threshold is null)
        {
            error = $"'{path}threshold' is required";
            return false;
        }

        rule = new AlertRule
        {
            Id = id,
            SensorType = sensorType,
            DeviceType = deviceType,
            Operator = @operator,
            Threshold = threshold,
            Severity = severity,
            ClearThreshold = clearThreshold,
        };
        return true;
    }
}
