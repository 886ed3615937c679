using System.Text;
using System.Text.RegularExpressions;

namespace Orleans.IoT.Tests.EndToEnd;

/// <summary>Judges corpus outcomes against the contract and words the report.</summary>
public static partial class CorpusVerdict
{
    /// <summary>The MQTT 5 PUBACK reason code of each refusal code (DESIGN §2, MQTT 5 §3.4.2.1).</summary>
    public static int ReasonCodeOf(string code) => code switch
    {
        ErrorCodes.InvalidJson => 0x99, // Payload format invalid
        ErrorCodes.UnknownRoute => 0x90, // Topic Name invalid
        ErrorCodes.Unauthorized or ErrorCodes.Forbidden => 0x87, // Not authorized
        ErrorCodes.ValidationFailed or ErrorCodes.PayloadTooLarge => 0x83, // Implementation specific error
        _ => throw new ArgumentOutOfRangeException(nameof(code), code, "not a code the corpus expects"),
    };

    /// <summary>What is wrong with <paramref name="outcome"/>, or null when it is what the contract says.</summary>
    public static string? Judge(CorpusCase corpusCase, CorpusOutcome outcome)
    {
        if (outcome.ReasonCode is not { } reasonCode)
        {
            return corpusCase.MayClose && outcome.Closed ? null : outcome.Detail;
        }

        var reason = outcome.ReasonString ?? string.Empty;
        if (reasonCode == 0)
        {
            return "accepted: PUBACK 0x00";
        }

        if (!corpusCase.Codes.Any(code => ReasonCodeOf(code) == reasonCode && reason.StartsWith(code + ":", StringComparison.Ordinal)))
        {
            return $"PUBACK 0x{reasonCode:X2} \"{Printable(reason)}\"";
        }

        if (reason.Any(char.IsControl))
        {
            return $"the reason string holds a control character: \"{Printable(reason)}\"";
        }

        if (reason.Contains(BadInputCorpus.Marker, StringComparison.OrdinalIgnoreCase))
        {
            return $"the reason string echoes the input: \"{Printable(reason)}\"";
        }

        return outcome.Closed && !corpusCase.MayClose ? "the connection closed after the PUBACK" : null;
    }

    public static string Expected(CorpusCase corpusCase) =>
        string.Join(" or ", corpusCase.Codes.Select(c => $"{c} (0x{ReasonCodeOf(c):X2})")) + (corpusCase.MayClose ? " or the connection ended" : "");

    /// <summary>
    /// The failures, grouped by kind and place, each group with its distinct outcomes (numbers of two digits or
    /// more, this run's device ids and echoed input blanked so that alike outcomes group) and the variants that met them.
    /// </summary>
    public static string Report(IEnumerable<(CorpusCase Case, string Problem)> failures, int total)
    {
        var list = failures.ToList();
        var text = new StringBuilder($"{list.Count} of {total} corpus cases were not refused as the contract says:\n");
        foreach (var group in list.GroupBy(f => (f.Case.Kind, f.Case.Where)).OrderBy(g => g.Key.Kind).ThenBy(g => g.Key.Where))
        {
            var expectations = group.Select(f => Expected(f.Case)).Distinct().ToList();
            text.Append($"- {group.Key.Kind} in {group.Key.Where}{(expectations.Count == 1 ? $" (expected {expectations[0]})" : "")}:\n");
            foreach (var outcome in group.GroupBy(f => (Problem: Blank(f.Problem), Expected: Expected(f.Case))))
            {
                var variants = string.Join(", ", outcome.Select(f => f.Case.Variant).Distinct());
                var expected = expectations.Count == 1 ? "" : $" (expected {outcome.Key.Expected})";
                text.Append($"    {outcome.Count()}x {Shorten(outcome.Key.Problem, 160)}{expected} <- {Shorten(variants, 200)}\n");
            }
        }

        return text.ToString();
    }

    /// <summary>The text with control characters, surrogates and U+FFFD shown as escapes.</summary>
    public static string Printable(string text)
    {
        var printable = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            printable.Append(char.IsControl(c) || char.IsSurrogate(c) || c == '\uFFFD' ? $"\\u{(int)c:X4}" : c);
        }

        return printable.ToString();
    }

    private static string Shorten(string text, int length) => text.Length <= length ? text : text[..length] + "...";

    private static string Blank(string problem) =>
        Digits().Replace(EchoedInput().Replace(DeviceIds().Replace(problem, "{device}"), "'{input}'"), "#");

    [GeneratedRegex(@"c[0-9a-f]{8}-[a-z]+\d*")]
    private static partial Regex DeviceIds();

    [GeneratedRegex(@"(?<![0-9A-Fa-fxu])\d{2,}")]
    private static partial Regex Digits();

    [GeneratedRegex("'[^']*" + BadInputCorpus.Marker + "[^']*'")]
    private static partial Regex EchoedInput();
}
