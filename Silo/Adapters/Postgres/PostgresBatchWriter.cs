using System.Diagnostics;
using System.Threading.Channels;
using Npgsql;

namespace Orleans.IoT.Silo.Adapters.Postgres;

/// <summary>
/// How a writer that must never drop a row it could still store writes a batch, on one connection of its own: a batch
/// that fails is written again with backoff (100 ms doubling to 2 s) for as long as it takes, an outage being reported
/// when it starts and when it ends; rows PostgreSQL refuses for what they hold are isolated by writing each half of the
/// batch on its own, down to single rows, which are left out and reported.
/// </summary>
/// <param name="write">Writes the rows on the connection, as one statement.</param>
/// <param name="outageStarted">Reports that writes fail (why, and the size of the batch kept).</param>
/// <param name="outageEnded">Reports that writes succeed again.</param>
/// <param name="refused">Reports a row PostgreSQL refused, by SQLSTATE only.</param>
/// <param name="retried">Told each time a batch's write failed and is tried again.</param>
public sealed class PostgresBatchWriter<T>(
    NpgsqlDataSource dataSource,
    Func<NpgsqlConnection, List<T>, CancellationToken, Task> write,
    Action<string, int> outageStarted,
    Action<OutageSummary> outageEnded,
    Action<T, string> refused,
    Action? retried = null) : IAsyncDisposable
{
    private static readonly TimeSpan FirstRetryDelay = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(2);

    private readonly PostgresOutage _outage = new();
    private NpgsqlConnection? _connection;

    /// <summary>How long writes have been failing; zero when they succeed.</summary>
    public TimeSpan OutageDuration => _outage.Duration;

    /// <summary>
    /// Writes the batches <paramref name="takeBatch"/> gives (an empty one: nothing is queued) whenever
    /// <paramref name="wake"/> signals, and once more when it completes (the writer is stopping), then closes the
    /// connection. When <paramref name="abort"/> (the host's shutdown deadline) fires, the batch in hand goes back
    /// through <paramref name="putBack"/>, so that the caller can count what is unwritten.
    /// </summary>
    public async Task RunAsync(ChannelReader<bool> wake, Func<List<T>> takeBatch, Action<List<T>> putBack, CancellationToken abort)
    {
        try
        {
            do
            {
                wake.TryRead(out _);
                await WriteQueuedAsync(takeBatch, putBack, abort);
            }
            while (await wake.WaitToReadAsync(abort));

            // Stopping: what was queued after the last signal was taken.
            await WriteQueuedAsync(takeBatch, putBack, abort);
        }
        catch (Exception) when (abort.IsCancellationRequested)
        {
            // The shutdown deadline passed; the caller reports what is left.
        }
        finally
        {
            await DisposeAsync();
        }
    }

    /// <summary>Writes the batch, trying again with backoff until it is stored or <paramref name="abort"/> fires.</summary>
    public async Task StoreAsync(List<T> batch, CancellationToken abort)
    {
        var retryDelay = FirstRetryDelay;
        var keptForOutage = false;
        while (true)
        {
            var attemptStartedAt = Stopwatch.GetTimestamp();
            var reusingConnection = _connection is not null;
            try
            {
                await WriteIsolatingRefusalsAsync(batch, abort);
                if (_outage.TryEnd(out var outage))
                {
                    outageEnded(outage);
                }

                return;
            }
            catch (Exception ex) when (!abort.IsCancellationRequested)
            {
                await DisposeAsync();
                if (reusingConnection && PostgresFaults.IsLostConnection(ex))
                {
                    continue;
                }

                if (_outage.Begin(attemptStartedAt))
                {
                    outageStarted(PostgresFaults.Describe(ex), batch.Count);
                }

                if (!keptForOutage)
                {
                    keptForOutage = true;
                    _outage.BatchWaited();
                }

                retried?.Invoke();
                await Task.Delay(retryDelay, abort);
                retryDelay = TimeSpan.FromTicks(Math.Min(retryDelay.Ticks * 2, MaxRetryDelay.Ticks));
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_connection is not null)
        {
            await _connection.DisposeAsync();
            _connection = null;
        }
    }

    private async Task WriteQueuedAsync(Func<List<T>> takeBatch, Action<List<T>> putBack, CancellationToken abort)
    {
        while (takeBatch() is { Count: > 0 } batch)
        {
            try
            {
                await StoreAsync(batch, abort);
            }
            catch (Exception) when (abort.IsCancellationRequested)
            {
                putBack(batch);
                throw;
            }
        }
    }

    private async Task WriteIsolatingRefusalsAsync(List<T> rows, CancellationToken cancellationToken)
    {
        try
        {
            _connection ??= await dataSource.OpenConnectionAsync(cancellationToken);
            await write(_connection, rows, cancellationToken);
        }
        catch (Exception ex) when (PostgresFaults.IsRefusal(ex))
        {
            if (rows.Count == 1)
            {
                refused(rows[0], PostgresFaults.RefusalReason(ex));
                return;
            }

            var half = rows.Count / 2;
            await WriteIsolatingRefusalsAsync(rows.GetRange(0, half), cancellationToken);
            await WriteIsolatingRefusalsAsync(rows.GetRange(half, rows.Count - half), cancellationToken);
        }
    }
}
