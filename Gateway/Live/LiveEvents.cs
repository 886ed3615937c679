using Microsoft.Extensions.Options;
using Orleans.IoT.Gateway.Configuration;
using Orleans.IoT.Gateway.Messaging;
using Orleans.IoT.Gateway.Transport;

namespace Orleans.IoT.Gateway.Live;

/// <summary>
/// The operators' open event streams on this gateway, fed by <see cref="Cluster.GatewayPublisher"/> with the fleet
/// events it publishes over MQTT. With no stream open a publication costs one read of a field; otherwise each event is
/// framed once and the same bytes are queued on every stream that takes it. An open stream counts in
/// <see cref="SubscriptionInterest"/>, so that the cluster sends this gateway those events while it is open.
/// </summary>
public sealed class LiveEvents(SubscriptionInterest interest, GatewayMetrics metrics, IOptions<LiveStreamOptions> options)
{
    private readonly int _maxStreams = options.Value.MaxStreams;
    private readonly int _maxPerOperator = options.Value.MaxStreamsPerOperator;
    private readonly Dictionary<string, int> _byOperator = new(StringComparer.Ordinal);
    private readonly int _queueEvents = options.Value.StreamQueueEvents;
    private readonly Lock _gate = new();
    private volatile LiveEventStream[] _streams = [];
    private long _lastId;

    /// <summary>The streams open now.</summary>
    public int Count => _streams.Length;

    /// <summary>
    /// Opens <paramref name="operatorName"/>'s stream of the fleet's events, and of <paramref name="deviceId"/>'s readings
    /// when given. Null when <c>Console:MaxStreams</c> are open on this gateway, or <c>Console:MaxStreamsPerOperator</c>
    /// of this operator's; <paramref name="refusal"/> says which.
    /// </summary>
    public LiveEventStream? TryOpen(string operatorName, string? deviceId, out StreamRefusal refusal)
    {
        LiveEventStream stream;
        lock (_gate)
        {
            var ofOperator = _byOperator.GetValueOrDefault(operatorName);
            refusal = _streams.Length >= _maxStreams ? StreamRefusal.GatewayFull
                : ofOperator >= _maxPerOperator ? StreamRefusal.OperatorFull
                : StreamRefusal.None;
            if (refusal != StreamRefusal.None)
            {
                metrics.EventStreamRefused(refusal == StreamRefusal.GatewayFull ? "gateway" : "operator");
                return null;
            }

            stream = new LiveEventStream(this, operatorName, deviceId, _queueEvents);
            _streams = [.. _streams, stream];
            _byOperator[operatorName] = ofOperator + 1;
        }

        interest.StreamOpened(stream.Interest, stream.DeviceId);
        metrics.EventStreamOpened();
        return stream;
    }

    internal void Close(LiveEventStream stream)
    {
        lock (_gate)
        {
            var index = Array.IndexOf(_streams, stream);
            if (index < 0)
            {
                return;
            }

            _streams = [.. _streams.AsSpan(0, index), .. _streams.AsSpan(index + 1)];
            var ofOperator = _byOperator[stream.OperatorName] - 1;
            if (ofOperator == 0)
            {
                _byOperator.Remove(stream.OperatorName);
            }
            else
            {
                _byOperator[stream.OperatorName] = ofOperator;
            }
        }

        interest.StreamClosed(stream.Interest, stream.DeviceId);
        metrics.EventStreamClosed();
    }

    internal void FellBehind() => metrics.EventStreamFellBehind();

    /// <summary>A fleet event (presence, command, config, firmware, alert) for every stream.</summary>
    public void Publish(string kind, ReadOnlySpan<byte> payload)
    {
        var streams = _streams;
        if (streams.Length == 0)
        {
            return;
        }

        var frame = SseFrames.Event(Interlocked.Increment(ref _lastId), kind, payload);
        foreach (var stream in streams)
        {
            stream.Offer(frame);
        }
    }

    /// <summary>Whether a stream is open for <paramref name="deviceId"/>'s readings.</summary>
    public bool WantsReadingsOf(string deviceId)
    {
        foreach (var stream in _streams)
        {
            if (stream.DeviceId == deviceId)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>A reading, for the streams opened for its device only.</summary>
    public void PublishReading(string deviceId, ReadOnlySpan<byte> payload)
    {
        byte[]? frame = null;
        foreach (var stream in _streams)
        {
            if (stream.DeviceId == deviceId)
            {
                frame ??= SseFrames.Event(Interlocked.Increment(ref _lastId), LiveEventKinds.Reading, payload);
                stream.Offer(frame);
            }
        }
    }
}
