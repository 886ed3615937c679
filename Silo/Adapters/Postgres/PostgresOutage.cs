using System.Diagnostics;

namespace Orleans.IoT.Silo.Adapters.Postgres;

/// <summary>
/// One outage of PostgreSQL as a set of writers sees it: it starts with the first write that fails for a passing
/// fault and ends with the next write that succeeds, whichever writer makes them, so that it is reported once.
/// </summary>
public sealed class PostgresOutage
{
    private readonly Lock _lock = new();
    private bool _ongoing;
    private long _startedAt;
    private int _batchesWaited;
    private int _batchesFailed;

    /// <summary>How long the current outage has lasted; zero when there is none.</summary>
    public TimeSpan Duration
    {
        get
        {
            lock (_lock)
            {
                return _ongoing ? Stopwatch.GetElapsedTime(_startedAt) : TimeSpan.Zero;
            }
        }
    }

    /// <summary>
    /// Records a write that failed for a passing fault; the outage starts at <paramref name="attemptStartedAt"/>
    /// (a <see cref="Stopwatch"/> timestamp) unless one is already going on. Returns whether this write started it.
    /// </summary>
    public bool Begin(long attemptStartedAt)
    {
        lock (_lock)
        {
            if (_ongoing)
            {
                return false;
            }

            _ongoing = true;
            _startedAt = attemptStartedAt;
            _batchesWaited = 0;
            _batchesFailed = 0;
            return true;
        }
    }

    /// <summary>A batch that is kept and written again later.</summary>
    public void BatchWaited()
    {
        lock (_lock)
        {
            _batchesWaited++;
        }
    }

    /// <summary>A batch given up on because the outage lasted too long.</summary>
    public void BatchFailed()
    {
        lock (_lock)
        {
            _batchesFailed++;
        }
    }

    /// <summary>Records a write that succeeded; when it ends an outage, returns what the outage was.</summary>
    public bool TryEnd(out OutageSummary summary)
    {
        summary = default;
        // Every batch written asks: without an outage, no lock.
        if (!Volatile.Read(ref _ongoing))
        {
            return false;
        }

        lock (_lock)
        {
            if (!_ongoing)
            {
                return false;
            }

            _ongoing = false;
            summary = new OutageSummary(Stopwatch.GetElapsedTime(_startedAt), _batchesWaited, _batchesFailed);
            return true;
        }
    }
}

public readonly record struct OutageSummary(TimeSpan Duration, int BatchesWaited, int BatchesFailed);
