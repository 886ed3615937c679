using System.Diagnostics.Metrics;
using Orleans.IoT.Gateway.Routing;

namespace Orleans.IoT.Gateway.Messaging;

/// <summary>
/// The gateway's instruments: messages by route and outcome, handling time, connections, packets refused for their
/// size and CONNECTs refused for their rate.
/// </summary>
public sealed class GatewayMetrics : IDisposable
{
    public const string MeterName = "Orleans.IoT.Gateway";

    private readonly Meter _meter;
    private readonly Counter<long> _messages;
    private readonly Histogram<double> _duration;
    private readonly UpDownCounter<long> _connections;
    private readonly Counter<long> _packetsTooLarge;
    private readonly Counter<long> _connectsRateLimited;

    public GatewayMetrics(IMeterFactory meterFactory)
    {
        _meter = meterFactory.Create(MeterName);
        _messages = _meter.CreateCounter<long>("messages", "{message}", "Inbound messages by route and outcome");
        _duration = _meter.CreateHistogram<double>("message.duration", "ms", "Time from receipt to outcome");
        _connections = _meter.CreateUpDownCounter<long>("connections", "{connection}", "Open MQTT connections");
        _packetsTooLarge = _meter.CreateCounter<long>("packets.too_large", "{packet}", "Packets over the maximum packet size, refused unread (each ends its connection)");
        _connectsRateLimited = _meter.CreateCounter<long>("connects.rate_limited", "{connect}", "CONNECTs refused for exceeding the rate per client id");
    }

    public void MessageHandled(string route, MessageResult result, TimeSpan elapsed)
    {
        var outcome = new KeyValuePair<string, object?>("outcome", result.ErrorCode ?? "accepted");
        var routeTag = new KeyValuePair<string, object?>("route", route);
        _messages.Add(1, routeTag, outcome);
        _duration.Record(elapsed.TotalMilliseconds, routeTag);
    }

    public void ConnectionOpened() => _connections.Add(1);

    public void ConnectionClosed() => _connections.Add(-1);

    public void PacketTooLarge() => _packetsTooLarge.Add(1);

    public void ConnectRateLimited() => _connectsRateLimited.Add(1);

    public void Dispose() => _meter.Dispose();
}
