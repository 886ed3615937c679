using System.Diagnostics.Metrics;
using Orleans.IoT.Gateway.Routing;

namespace Orleans.IoT.Gateway.Messaging;

/// <summary>
/// The gateway's instruments: messages by route and outcome, handling time, connections, packets refused for their
/// size, CONNECTs refused for their rate, TLS handshakes that failed, messages refused by a rate limit, refusals not
/// copied to an errors topic, and the operators' event streams: open, refused, dropped for falling behind.
/// </summary>
public sealed class GatewayMetrics : IDisposable
{
    public const string MeterName = "Orleans.IoT.Gateway";

    /// <summary>The <c>limit</c> of <c>rate_limited</c>: a device's messages (<c>RateLimit:MaxMessages</c>).</summary>
    public const string MessagesLimit = "messages";

    /// <summary>The <c>limit</c> of <c>rate_limited</c>: registration attempts per device id (<c>RateLimit:MaxRegistrationsPerDevice</c>).</summary>
    public const string RegistrationsPerDeviceLimit = "registrations_per_device";

    /// <summary>The <c>limit</c> of <c>rate_limited</c>: registrations per MQTT client (<c>RateLimit:MaxRegistrationsPerClient</c>).</summary>
    public const string RegistrationsPerClientLimit = "registrations_per_client";

    private readonly Meter _meter;
    private readonly Counter<long> _messages;
    private readonly Histogram<double> _duration;
    private readonly UpDownCounter<long> _connections;
    private readonly Counter<long> _packetsTooLarge;
    private readonly Counter<long> _connectsRateLimited;
    private readonly Counter<long> _tlsHandshakesFailed;
    private readonly Counter<long> _rateLimited;
    private readonly Counter<long> _errorsUnpublished;
    private readonly UpDownCounter<long> _eventStreams;
    private readonly Counter<long> _eventStreamsRefused;
    private readonly Counter<long> _eventStreamsFellBehind;

    public GatewayMetrics(IMeterFactory meterFactory)
    {
        _meter = meterFactory.Create(MeterName);
        _messages = _meter.CreateCounter<long>("orleans_iot.gateway.messages", "{message}", "Inbound messages by route and outcome");
        _duration = _meter.CreateHistogram<double>("orleans_iot.gateway.message.duration", "s", "Time from receipt to outcome, by route", advice: MetricBuckets.Latency);
        _connections = _meter.CreateUpDownCounter<long>("orleans_iot.gateway.connections", "{connection}", "Open MQTT connections");
        _packetsTooLarge = _meter.CreateCounter<long>("orleans_iot.gateway.packets.too_large", "{packet}", "Packets over the maximum packet size, refused unread (each ends its connection)");
        _connectsRateLimited = _meter.CreateCounter<long>("orleans_iot.gateway.connects.rate_limited", "{connect}", "CONNECTs refused for exceeding the rate per client id");
        _tlsHandshakesFailed = _meter.CreateCounter<long>("orleans_iot.gateway.tls.handshakes.failed", "{handshake}", "TLS handshakes on Mqtt:TlsPort that failed or timed out (each ends its connection)");
        _rateLimited = _meter.CreateCounter<long>("orleans_iot.gateway.rate_limited", "{message}", "Messages refused rate_limited, by limit and by where: the device grain, or the gateway without a grain call");
        _errorsUnpublished = _meter.CreateCounter<long>("orleans_iot.gateway.errors.unpublished", "{message}", "Refusals not copied to their device's errors topic, its budget for the window spent");
        _eventStreams = _meter.CreateUpDownCounter<long>("orleans_iot.gateway.event_streams", "{stream}", "Open operator event streams (GET /api/v1/events)");
        _eventStreamsRefused = _meter.CreateCounter<long>(
            "orleans_iot.gateway.event_streams.refused", "{stream}", "Event streams refused, by limit: the gateway's (Console:MaxStreams) or the operator's (Console:MaxStreamsPerOperator)");
        _eventStreamsFellBehind = _meter.CreateCounter<long>(
            "orleans_iot.gateway.event_streams.fell_behind", "{stream}", "Event streams ended because their reader fell Console:StreamQueueEvents events behind");
    }

    public void MessageHandled(string route, MessageResult result, TimeSpan elapsed)
    {
        var outcome = new KeyValuePair<string, object?>("outcome", result.ErrorCode ?? "accepted");
        var routeTag = new KeyValuePair<string, object?>("route", route);
        _messages.Add(1, routeTag, outcome);
        _duration.Record(elapsed.TotalSeconds, routeTag);
    }

    public void ConnectionOpened() => _connections.Add(1);

    public void ConnectionClosed() => _connections.Add(-1);

    public void PacketTooLarge() => _packetsTooLarge.Add(1);

    public void ConnectRateLimited() => _connectsRateLimited.Add(1);

    public void TlsHandshakeFailed() => _tlsHandshakesFailed.Add(1);

    /// <summary>A message refused by <paramref name="limit"/>: at the gateway, or by the device grain.</summary>
    public void RateLimited(string limit, bool atGateway) =>
        _rateLimited.Add(1, new KeyValuePair<string, object?>("limit", limit), new KeyValuePair<string, object?>("at", atGateway ? "gateway" : "grain"));

    public void ErrorUnpublished() => _errorsUnpublished.Add(1);

    public void EventStreamOpened() => _eventStreams.Add(1);

    public void EventStreamClosed() => _eventStreams.Add(-1);

    /// <summary>A stream refused by <paramref name="limit"/>: <c>gateway</c> or <c>operator</c>.</summary>
    public void EventStreamRefused(string limit) => _eventStreamsRefused.Add(1, new KeyValuePair<string, object?>("limit", limit));

    public void EventStreamFellBehind() => _eventStreamsFellBehind.Add(1);

    public void Dispose() => _meter.Dispose();
}
