using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Orleans.Runtime;

namespace Orleans.IoT.Grains;

/// <summary>
/// The device grains of this silo with changes still to be written behind, and their flush when the silo stops: at
/// the start of the silo's shutdown, while every grain and the grain storage are still up, rather than in each
/// grain's deactivation, where the storage may already be gone (the in-memory provider's own grains stop alongside).
/// </summary>
public sealed partial class WriteBehindFlush(IGrainFactory grains, ILogger<WriteBehindFlush> logger) : ILifecycleParticipant<ISiloLifecycle>
{
    private const int ConcurrentFlushes = 64;

    private readonly ConcurrentDictionary<string, byte> _pending = new(StringComparer.Ordinal);

    public void Add(string deviceId) => _pending.TryAdd(deviceId, 0);

    public void Remove(string deviceId) => _pending.TryRemove(deviceId, out _);

    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(WriteBehindFlush), ServiceLifecycleStage.Active, _ => Task.CompletedTask, FlushAllAsync);

    private async Task FlushAllAsync(CancellationToken cancellationToken)
    {
        var deviceIds = _pending.Keys.ToArray();
        if (deviceIds.Length == 0)
        {
            return;
        }

        var failed = 0;
        await Parallel.ForEachAsync(
            deviceIds,
            new ParallelOptions { MaxDegreeOfParallelism = ConcurrentFlushes, CancellationToken = cancellationToken },
            async (deviceId, token) =>
            {
                try
                {
                    await grains.GetGrain<IDeviceGrain>(deviceId).FlushState(token);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    Interlocked.Increment(ref failed);
                    LogFlushFailed(ex, deviceId);
                }
            });
        LogFlushed(deviceIds.Length - failed, failed);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Silo stopping: wrote the pending state of {Count} devices ({Failed} failed)")]
    private partial void LogFlushed(int count, int failed);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Silo stopping: could not write the pending state of device {DeviceId}")]
    private partial void LogFlushFailed(Exception exception, string deviceId);
}
