using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Unicode;
using Orleans.IoT.Gateway.Messaging;
using Orleans.IoT.Gateway.Routing;

namespace Orleans.IoT.Gateway.Middleware;

/// <summary>
/// Parses the payload once into <see cref="MessageContext.Json"/>; it must be a UTF-8 JSON object whose every string
/// is clean text (<see cref="PayloadText"/>). An empty payload counts as <c>{}</c>, as command-line clients send it.
/// </summary>
public sealed class JsonObjectMiddleware : IMessageMiddleware
{
    public const int MaxDepth = 32;

    private static readonly JsonDocumentOptions Options = new() { MaxDepth = MaxDepth };
    private static readonly ReadOnlyMemory<byte> EmptyObject = "{}"u8.ToArray();

    public async ValueTask<MessageResult> InvokeAsync(MessageContext context, MessageHandler next)
    {
        var payload = context.Message.Payload.IsEmpty ? EmptyObject : context.Message.Payload;
        if (!TryReadObject(payload, out var document, out var errorCode, out var error))
        {
            return MessageResult.Refused(errorCode, error);
        }

        using (document)
        {
            context.Json = document.RootElement;
            return await next(context);
        }
    }

    /// <summary>
    /// Parses <paramref name="payload"/> as one UTF-8 JSON object whose every string is clean text; otherwise the
    /// refusal's code (<c>invalid_json</c> or <c>validation_failed</c>) and a message that never quotes the input. The
    /// document reads <paramref name="payload"/>'s memory, which must outlive it. The MQTT routes and the HTTP API read
    /// their bodies through this one method.
    /// </summary>
    public static bool TryReadObject(
        ReadOnlyMemory<byte> payload,
        [NotNullWhen(true)] out JsonDocument? document,
        [NotNullWhen(false)] out string? errorCode,
        [NotNullWhen(false)] out string? error)
    {
        document = null;
        errorCode = ErrorCodes.InvalidJson;
        if (!Utf8.IsValid(payload.Span))
        {
            // The parser takes invalid bytes inside strings as they are: a payload is UTF-8 or it is not JSON.
            error = "payload is not valid UTF-8";
            return false;
        }

        JsonDocument parsed;
        try
        {
            parsed = JsonDocument.Parse(payload, Options);
        }
        catch (JsonException ex)
        {
            // The parser's own message quotes the offending bytes: say only where it went wrong.
            error = $"payload is not valid JSON (line {ex.LineNumber + 1}, byte {ex.BytePositionInLine})";
            return false;
        }
        catch (ArgumentException)
        {
            error = "payload is not valid UTF-8";
            return false;
        }

        if (parsed.RootElement.ValueKind != JsonValueKind.Object)
        {
            parsed.Dispose();
            error = "payload must be a JSON object";
            return false;
        }

        if (PayloadText.FindInvalidText(payload.Span, MaxDepth) is { } invalid)
        {
            parsed.Dispose();
            errorCode = ErrorCodes.ValidationFailed;
            error = invalid;
            return false;
        }

        document = parsed;
        errorCode = null;
        error = null;
        return true;
    }
}
