using System.Buffers;
using System.Text;
using System.Text.Json;
using Orleans.IoT.Gateway.Routing;

namespace Orleans.IoT.Gateway.Messaging;

/// <summary>
/// The input rule for text (DESIGN §2): every string and field name of a payload, nested ones and unknown fields
/// included, is valid Unicode (no lone surrogate escape) without control characters (U+0000-U+001F, U+007F-U+009F).
/// <see cref="JsonDocument"/> accepts all of these, and PostgreSQL or an MQTT reason string later cannot hold them.
/// The payload's bytes are already known to be valid UTF-8.
/// </summary>
public static class PayloadText
{
    private const int StackChars = 256;

    /// <summary>Null when every string is clean; otherwise what is wrong, naming the field but never quoting the text.</summary>
    public static string? FindInvalidText(ReadOnlySpan<byte> json, int maxDepth)
    {
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = maxDepth });
        Span<char> stack = stackalloc char[StackChars];
        char[]? rented = null;
        (int Start, int Length, bool Escaped) field = default;
        try
        {
            while (reader.Read())
            {
                if (reader.TokenType is not (JsonTokenType.PropertyName or JsonTokenType.String))
                {
                    continue;
                }

                var isTopLevelName = reader.TokenType == JsonTokenType.PropertyName && reader.CurrentDepth == 1;
                if (!IsCleanText(ref reader, stack, ref rented))
                {
                    return isTopLevelName
                        ? "a field name is not valid Unicode text without control characters"
                        : $"{FieldName(json, field)} must be valid Unicode text without control characters";
                }

                if (isTopLevelName)
                {
                    field = ((int)reader.TokenStartIndex + 1, reader.ValueSpan.Length, reader.ValueIsEscaped);
                }
            }

            return null;
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<char>.Shared.Return(rented);
            }
        }
    }

    private static bool IsCleanText(ref Utf8JsonReader reader, scoped Span<char> stack, ref char[]? rented)
    {
        var length = reader.ValueSpan.Length; // UTF-16 never needs more chars than the UTF-8 (or escaped) bytes
        Span<char> buffer = stack;
        if (length > stack.Length)
        {
            if (rented is null || rented.Length < length)
            {
                if (rented is not null)
                {
                    ArrayPool<char>.Shared.Return(rented);
                }

                rented = ArrayPool<char>.Shared.Rent(length);
            }

            buffer = rented;
        }

        int written;
        try
        {
            written = reader.CopyString(buffer);
        }
        catch (InvalidOperationException)
        {
            return false; // a lone surrogate escape
        }

        foreach (var c in buffer[..written])
        {
            if (char.IsControl(c))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The top-level field as <c>'name'</c> when its name is a plain identifier, so that nothing else of the input is echoed.</summary>
    private static string FieldName(ReadOnlySpan<byte> json, (int Start, int Length, bool Escaped) field)
    {
        if (field.Length == 0 || field.Escaped || field.Length > Identifiers.MaxIdentifierLength)
        {
            return "a field";
        }

        var name = Encoding.UTF8.GetString(json.Slice(field.Start, field.Length));
        return Identifiers.IsIdentifier(name) ? $"'{name}'" : "a field";
    }
}
