using System.Threading.Channels;

namespace Orleans.IoT.Gateway.Live;

/// <summary>
/// One operator's open event stream: the frames waiting for its reader, at most <c>Console:StreamQueueEvents</c>. A
/// reader that falls that far behind is not waited for: its queue is closed and <see cref="FellBehindToken"/> fires, so
/// that a write stalled on it gives up.
/// </summary>
public sealed class LiveEventStream : IDisposable
{
    private readonly LiveEvents _events;
    private readonly Channel<byte[]> _frames;
    // Not disposed: a publisher that took the list of streams before this one closed may still offer it a frame.
    private readonly CancellationTokenSource _fellBehind = new();
    private volatile bool _overflowed;

    internal LiveEventStream(LiveEvents events, string operatorName, string? deviceId, int queueEvents)
    {
        _events = events;
        OperatorName = operatorName;
        DeviceId = deviceId;
        _frames = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(queueEvents) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
    }

    /// <summary>The operator who opened it.</summary>
    public string OperatorName { get; }

    /// <summary>The device whose readings this stream carries; none without it.</summary>
    public string? DeviceId { get; }

    /// <summary>
    /// The fleet namespaces this stream needs this gateway to receive; a device's readings are asked for by the device
    /// alone (<see cref="Transport.SubscriptionInterest.WatchedDevices"/>), not as every reading of the fleet.
    /// </summary>
    public FleetInterest Interest => FleetInterest.Events | FleetInterest.Alerts;

    public ChannelReader<byte[]> Frames => _frames.Reader;

    /// <summary>True once a frame found the queue full: the stream ends after the frames already queued.</summary>
    public bool FellBehind => _overflowed;

    public CancellationToken FellBehindToken => _fellBehind.Token;

    /// <summary>Called by a publisher (possibly inside a grain's turn): never blocks and never runs the reader's code.</summary>
    internal void Offer(byte[] frame)
    {
        if (!_frames.Writer.TryWrite(frame) && !_overflowed)
        {
            _overflowed = true;
            _frames.Writer.TryComplete();
            _events.FellBehind();
            // Not Cancel(): its callbacks (a stalled flush giving up) would run on the publisher's thread.
            _ = _fellBehind.CancelAsync();
        }
    }

    public void Dispose() => _events.Close(this);
}
