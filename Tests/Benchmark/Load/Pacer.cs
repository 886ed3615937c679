using System.Diagnostics;
using System.Net.Sockets;

namespace Orleans.IoT.Benchmark.Load;

/// <summary>
/// Open-loop sending for latency: every connection sends one message each 1/rate seconds on a fixed schedule (its
/// phase random), all from one thread that wakes every millisecond and sends what is due with a synchronous send.
/// A timer per connection took more of the load generator's CPU (0.57 against 0.48 cores at 10,000 readings/s),
/// and that CPU is taken from the system being measured.
/// </summary>
public static class Pacer
{
    public static Task RunAsync(
        IReadOnlyList<LoadConnection> connections, double messagesPerSecond, int inFlight, int heartbeatEvery, CancellationToken stop) =>
        Task.Factory.StartNew(
            () => Run(connections, messagesPerSecond, inFlight, heartbeatEvery, stop),
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default);

    private static void Run(
        IReadOnlyList<LoadConnection> connections, double messagesPerSecond, int inFlight, int heartbeatEvery, CancellationToken stop)
    {
        var interval = Stopwatch.Frequency / messagesPerSecond;
        var schedule = new PriorityQueue<LoadConnection, long>(connections.Count);
        var start = Stopwatch.GetTimestamp();
        foreach (var connection in connections)
        {
            connection.StartPacing(start + (long)(Random.Shared.NextDouble() * interval), interval);
            schedule.Enqueue(connection, connection.NextDue);
        }

        while (!stop.IsCancellationRequested)
        {
            var now = Stopwatch.GetTimestamp();
            while (schedule.TryPeek(out var connection, out var due) && due <= now)
            {
                schedule.Dequeue();
                try
                {
                    connection.SendDue(now, inFlight, heartbeatEvery);
                    schedule.Enqueue(connection, connection.NextDue);
                }
                catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
                {
                    // The connection is gone; its receive loop records that.
                }
            }

            Thread.Sleep(1);
        }
    }
}
