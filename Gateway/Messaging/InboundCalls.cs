namespace Orleans.IoT.Gateway.Messaging;

/// <summary>
/// The cancellation token every inbound message's handling (its grain calls) carries. It is cancelled when the gateway
/// stops, and, for the messages in flight at that moment only, when a standalone gateway loses its connection to a silo:
/// an Orleans client does not fail its calls to a silo that died (silos do, for their own calls), so they would wait
/// for the client's response timeout (30 s) while their devices wait for an acknowledgement. Cancelled, they end at
/// once unacknowledged, and their devices send them again, to grains the cluster activates on a live silo. Calls to
/// live silos in flight at that moment end too: their devices send them again, and a resent reading is stored once.
/// </summary>
public sealed class InboundCalls
{
    private readonly Lock _lock = new();
    private CancellationTokenSource _current = new();
    private bool _stopped;

    public CancellationToken Token => Volatile.Read(ref _current).Token;

    /// <summary>Cancels the messages in flight; those that arrive from now on get a new token.</summary>
    public void CancelInFlight()
    {
        CancellationTokenSource previous;
        lock (_lock)
        {
            if (_stopped)
            {
                return;
            }

            previous = _current;
            Volatile.Write(ref _current, new CancellationTokenSource());
        }

        // Not disposed: messages still hold its (cancelled) token.
        previous.Cancel();
    }

    /// <summary>Cancels the messages in flight and every one that arrives from now on.</summary>
    public void Stop()
    {
        lock (_lock)
        {
            _stopped = true;
        }

        _current.Cancel();
    }
}
