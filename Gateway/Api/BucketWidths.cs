using System.Globalization;
using System.Text;

namespace Orleans.IoT.Gateway.Api;

/// <summary>
/// The <c>bucket</c> parameter of a telemetry read: a whole number of seconds from 1 s to 31 days, written as a number
/// and a unit (<c>30s</c>, <c>5m</c>, <c>1h</c>, <c>1d</c>) or as an ISO 8601 duration of days, hours, minutes and
/// seconds (<c>PT5M</c>, <c>PT1H30M</c>, <c>P1D</c>, <c>P1DT12H</c>). Answers give it in ISO 8601.
/// </summary>
public static class BucketWidths
{
    // Enough for 31 days in seconds; more digits than this is out of range anyway, and cannot overflow.
    private const int MaxDigits = 9;

    public static bool TryParse(string text, out TimeSpan width)
    {
        width = default;
        var seconds = text.Length > 0 && text[0] is 'P' or 'p' ? Iso8601Seconds(text.AsSpan(1)) : ShortSeconds(text);
        if (seconds is not { } total
            || total < (long)SensorHistory.MinBucket.TotalSeconds
            || total > (long)SensorHistory.MaxBucket.TotalSeconds)
        {
            return false;
        }

        width = TimeSpan.FromSeconds(total);
        return true;
    }

    /// <summary>The ISO 8601 form: <c>PT5M</c>, <c>P1DT12H</c>.</summary>
    public static string Format(TimeSpan width)
    {
        var text = new StringBuilder("P");
        if (width.Days > 0)
        {
            text.Append(CultureInfo.InvariantCulture, $"{width.Days}D");
        }

        if (width.Hours + width.Minutes + width.Seconds > 0)
        {
            text.Append('T');
            Append(text, width.Hours, 'H');
            Append(text, width.Minutes, 'M');
            Append(text, width.Seconds, 'S');
        }

        return text.ToString();

        static void Append(StringBuilder text, int value, char unit)
        {
            if (value > 0)
            {
                text.Append(CultureInfo.InvariantCulture, $"{value}{unit}");
            }
        }
    }

    /// <summary><c>30s</c>, <c>5m</c>, <c>1h</c>, <c>1d</c>.</summary>
    private static long? ShortSeconds(ReadOnlySpan<char> text)
    {
        if (text.Length < 2 || !TryNumber(text[..^1], out var number))
        {
            return null;
        }

        return text[^1] switch
        {
            's' => number,
            'm' => number * 60,
            'h' => number * 3600,
            'd' => number * 86400,
            _ => null,
        };
    }

    /// <summary>What follows the <c>P</c> of <c>[nD][T[nH][nM][nS]]</c>, each part at most once and in this order.</summary>
    private static long? Iso8601Seconds(ReadOnlySpan<char> text)
    {
        long total = 0;
        var parts = 0;
        var inTime = false;
        var lastUnit = -1;
        ReadOnlySpan<char> units = "DHMS";
        while (!text.IsEmpty)
        {
            if (!inTime && text[0] is 'T' or 't')
            {
                inTime = true;
                text = text[1..];
                if (text.IsEmpty)
                {
                    return null;
                }

                continue;
            }

            var digits = text.IndexOfAnyExceptInRange('0', '9');
            if (digits <= 0 || !TryNumber(text[..digits], out var number))
            {
                return null;
            }

            var unit = units.IndexOf(char.ToUpperInvariant(text[digits]));
            // D only before T; H, M and S only after it; each once, in order.
            if (unit < 0 || unit <= lastUnit || (unit == 0) == inTime)
            {
                return null;
            }

            total += number * unit switch { 0 => 86400, 1 => 3600, 2 => 60, _ => 1 };
            lastUnit = unit;
            parts++;
            text = text[(digits + 1)..];
        }

        return parts > 0 ? total : null;
    }

    private static bool TryNumber(ReadOnlySpan<char> digits, out long number) =>
        long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out number) && digits.Length <= MaxDigits;
}
