using System.Text;

namespace Orleans.IoT.Gateway.Transport;

/// <summary>
/// MQTT 5 reason strings: <c>"{code}: {message}"</c>, as UTF-8 text without control characters (MQTT-1.5.4-2
/// forbids U+0000, and clients drop a connection over it) and short enough for any client. Messages are written not
/// to echo input; this keeps the packet valid whatever a message holds.
/// </summary>
public static class ReasonStrings
{
    public const int MaxLength = 256;

    public static string Of(string code, string? message)
    {
        var text = string.IsNullOrEmpty(message) ? code : $"{code}: {message}";
        if (text.Length <= MaxLength && !text.Any(c => char.IsControl(c) || char.IsSurrogate(c)))
        {
            return text;
        }

        var clean = new StringBuilder(Math.Min(text.Length, MaxLength));
        foreach (var c in text)
        {
            if (clean.Length == MaxLength)
            {
                break;
            }

            clean.Append(char.IsControl(c) || char.IsSurrogate(c) ? '?' : c);
        }

        return clean.ToString();
    }
}
