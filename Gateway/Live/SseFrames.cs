using System.Buffers.Text;
using System.Text;

namespace Orleans.IoT.Gateway.Live;

/// <summary>
/// The bytes of <c>text/event-stream</c> (the HTML Server-Sent Events format). A payload is one line of JSON: the
/// outbound payloads are written without indentation, and JSON escapes line breaks inside strings.
/// </summary>
public static class SseFrames
{
    private static readonly byte[] IdField = "id: "u8.ToArray();
    private static readonly byte[] EventField = "\nevent: "u8.ToArray();
    private static readonly byte[] DataField = "\ndata: "u8.ToArray();
    private static readonly byte[] End = "\n\n"u8.ToArray();

    /// <summary>A comment line: the browser ignores it, and proxies see a stream that is not idle.</summary>
    public static ReadOnlySpan<byte> Heartbeat => ": heartbeat\n\n"u8;

    /// <summary>The last frame of a stream that fell behind; it has no id, so a reconnection goes on from the last event delivered.</summary>
    public static ReadOnlySpan<byte> Overflow => "event: overflow\ndata: {\"reason\":\"the stream fell behind and was ended: reconnect\"}\n\n"u8;

    /// <summary><c>retry:</c>, how long the browser waits before reconnecting.</summary>
    public static byte[] Retry(int milliseconds) => Encoding.ASCII.GetBytes($"retry: {milliseconds}\n\n");

    /// <summary>One event, built once and written to every stream that takes it.</summary>
    public static byte[] Event(long id, string kind, ReadOnlySpan<byte> payload)
    {
        Span<byte> digits = stackalloc byte[20];
        Utf8Formatter.TryFormat(id, digits, out var idLength);
        var frame = new byte[IdField.Length + idLength + EventField.Length + kind.Length + DataField.Length + payload.Length + End.Length];
        var rest = frame.AsSpan();
        Append(ref rest, IdField);
        Append(ref rest, digits[..idLength]);
        Append(ref rest, EventField);
        rest = rest[Encoding.ASCII.GetBytes(kind, rest)..];
        Append(ref rest, DataField);
        Append(ref rest, payload);
        Append(ref rest, End);
        return frame;
    }

    private static void Append(ref Span<byte> rest, scoped ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(rest);
        rest = rest[bytes.Length..];
    }
}
