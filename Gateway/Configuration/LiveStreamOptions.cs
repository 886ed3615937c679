using System.ComponentModel.DataAnnotations;

namespace Orleans.IoT.Gateway.Configuration;

/// <summary>
/// The <c>Console:*</c> settings of the operators' live event streams (<c>GET /api/v1/events</c>): how many a gateway
/// serves at once, how far one may fall behind before it is dropped, and how its connection is kept open.
/// </summary>
public sealed class LiveStreamOptions
{
    public const string Section = "Console";

    /// <summary>Event streams open at once on this gateway; one more is refused (503) until one closes.</summary>
    [Range(1, 100_000, ErrorMessage = "Console:MaxStreams must be between 1 and 100000")]
    public int MaxStreams { get; set; } = 100;

    /// <summary>Event streams one operator may have open at once on this gateway, so that one console cannot take them all; one more is refused (429).</summary>
    [Range(1, 100_000, ErrorMessage = "Console:MaxStreamsPerOperator must be between 1 and 100000")]
    public int MaxStreamsPerOperator { get; set; } = 10;

    /// <summary>Events a stream may have waiting for its reader; one more and the stream is ended (<c>event: overflow</c>).</summary>
    [Range(1, 100_000, ErrorMessage = "Console:StreamQueueEvents must be between 1 and 100000")]
    public int StreamQueueEvents { get; set; } = 1000;

    /// <summary>A comment line sent after this long without an event, so that proxies keep an idle stream open.</summary>
    [Range(1, 300, ErrorMessage = "Console:HeartbeatSeconds must be between 1 and 300")]
    public int HeartbeatSeconds { get; set; } = 15;

    /// <summary>The <c>retry:</c> a stream opens with: how long a browser waits before it reconnects a stream that ended.</summary>
    [Range(100, 600_000, ErrorMessage = "Console:ReconnectMilliseconds must be between 100 and 600000")]
    public int ReconnectMilliseconds { get; set; } = 3000;
}
