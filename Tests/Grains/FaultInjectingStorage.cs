using System.Collections.Concurrent;
using Orleans.Runtime;
using Orleans.Storage;

namespace Orleans.IoT.Tests.Grains;

/// <summary>Grain storage that fails the next writes of a chosen grain, around a real provider.</summary>
public sealed class FaultInjectingStorage(IGrainStorage inner) : IGrainStorage
{
    private readonly ConcurrentDictionary<string, int> _failingWrites = new(StringComparer.Ordinal);

    /// <summary>Makes the next <paramref name="count"/> writes of the grain keyed <paramref name="key"/> throw.</summary>
    public void FailNextWrites(string key, int count = 1) => _failingWrites[key] = count;

    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        inner.ReadStateAsync(stateName, grainId, grainState);

    public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var key = grainId.Key.ToString()!;
        if (_failingWrites.TryGetValue(key, out var remaining) && remaining > 0)
        {
            _failingWrites[key] = remaining - 1;
            throw new TimeoutException("injected storage failure");
        }

        return inner.WriteStateAsync(stateName, grainId, grainState);
    }

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        inner.ClearStateAsync(stateName, grainId, grainState);
}
