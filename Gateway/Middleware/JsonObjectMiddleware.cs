using System.Text.Json;
using Orleans.IoT.Gateway.Routing;

namespace Orleans.IoT.Gateway.Middleware;

/// <summary>
/// Parses the payload once into <see cref="MessageContext.Json"/>; it must be a UTF-8 JSON object.
/// An empty payload counts as <c>{}</c>, as command-line clients send it.
/// </summary>
public sealed class JsonObjectMiddleware : IMessageMiddleware
{
    private static readonly JsonDocumentOptions Options = new() { MaxDepth = 32 };
    private static readonly ReadOnlyMemory<byte> EmptyObject = "{}"u8.ToArray();

    public async ValueTask<MessageResult> InvokeAsync(MessageContext context, MessageHandler next)
    {
        var payload = context.Message.Payload;
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(payload.IsEmpty ? EmptyObject : payload, Options);
        }
        catch (JsonException ex)
        {
            return MessageResult.Refused(ErrorCodes.InvalidJson, $"payload is not valid JSON: {ex.Message}");
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

            context.Json = document.RootElement;
            return await next(context);
        }
    }
}
