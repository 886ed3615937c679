using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Configuration;

namespace Orleans.IoT.Grains.Alerts;

/// <summary>
/// <c>Alerts:Rules</c>: the alert rules the fleet starts with (<see cref="AlertRuleValidation.DefaultRule"/> when none
/// is configured). They seed the rules grain until an operator sets others; a bad rule stops start-up, named.
/// </summary>
public sealed class AlertOptions : IValidatableObject
{
    public const string Section = "Alerts";

    public List<AlertRule> Rules { get; set; } = [];

    /// <summary>The configured rules, accepted; start-up has checked them.</summary>
    public IReadOnlyList<AlertRule> AcceptedRules() =>
        AlertRuleValidation.TryAccept(Configured, AlertRuleValidation.ConfigurationPrefix, out var accepted, out var problems)
            ? accepted
            : throw new InvalidOperationException("invalid alert rules: " + string.Join("; ", problems));

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        AlertRuleValidation.TryAccept(Configured, AlertRuleValidation.ConfigurationPrefix, out _, out var problems);
        return problems.Select(problem => new ValidationResult(problem, [nameof(Rules)]));
    }

    /// <summary>
    /// The rules of <paramref name="configuration"/> that cannot be read at all (a Threshold that is not a number, say),
    /// each with the reason: the configuration binder leaves such a rule out of <see cref="Rules"/> without a word.
    /// </summary>
    public static IReadOnlyList<string> UnreadableRules(IConfiguration configuration) =>
        [.. configuration.GetSection(Section).GetSection(nameof(Rules)).GetChildren().Select(Unreadable).OfType<string>()];

    private static string? Unreadable(IConfigurationSection rule)
    {
        try
        {
            rule.Get<AlertRule>();
            return null;
        }
        catch (InvalidOperationException ex)
        {
            return ex.Message;
        }
    }

    private IReadOnlyList<AlertRule> Configured => Rules.Count > 0 ? Rules : [AlertRuleValidation.DefaultRule];
}
