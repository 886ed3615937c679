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
        if (!Utf8.IsValid(payload.Span))
        {
            // The parser takes invalid bytes inside strings as they are: a payload is UTF-8 or it is not JSON.
            return MessageResult.Refused(ErrorCodes.InvalidJson, "payload is not valid UTF-8");
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(payload, Options);
        }
        catch (JsonException ex)
        {
            // The parser's own message quotes the offending bytes: say only where it went wrong.
            return MessageResult.Refused(ErrorCodes.InvalidJson, $"payload is not valid JSON (line {ex.LineNumber + 1}, byte {ex.BytePositionInLine})");
        }
        catch (ArgumentException)
        {
            return MessageResult.Refused(ErrorCodes.InvalidJson, "payload is not valid UTF-8");
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                return MessageResult.Refused(ErrorCodes.InvalidJson, "payload must be a JSON object");
            }

            if (PayloadText.FindInvalidText(payload.Span, MaxDepth) is { } invalid)
            {
                return MessageResult.Refused(ErrorCodes.ValidationFailed, invalid);
            }

            context.Json = document.RootElement;
            return await next(context);
        }
    }
}
