using System.Collections.Concurrent;
using Orleans.Runtime;
using Orleans.Serialization;
using Orleans.Storage;

namespace Orleans.IoT.Tests.Grains;

/// <summary>
/// Grain storage shared by every silo of an in-process test cluster, as Redis is by a real one: a silo's death loses
/// none of it. States are stored serialized, so that no two activations share an object.
/// </summary>
public sealed class SharedGrainStorage
{
    private readonly ConcurrentDictionary<(string StateName, GrainId GrainId), (byte[] State, string ETag)> _states = new();

    /// <summary>The view of one silo, which serializes with that silo's serializer.</summary>
    public IGrainStorage For(Serializer serializer) => new SiloView(this, serializer);

    private sealed class SiloView(SharedGrainStorage shared, Serializer serializer) : IGrainStorage
    {
        public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
        {
            if (shared._states.TryGetValue((stateName, grainId), out var stored))
            {
                grainState.State = serializer.Deserialize<T>(stored.State);
                grainState.ETag = stored.ETag;
                grainState.RecordExists = true;
            }

            return Task.CompletedTask;
        }

        public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
        {
            var etag = Guid.NewGuid().ToString("N");
            var state = serializer.SerializeToArray(grainState.State);
            shared._states.AddOrUpdate(
                (stateName, grainId),
                _ => grainState.ETag is null ? (state, etag) : throw new InconsistentStateException("the state was removed", "none", grainState.ETag),
                (_, current) => current.ETag == grainState.ETag ? (state, etag) : throw new InconsistentStateException("the state moved on", current.ETag, grainState.ETag));
            grainState.ETag = etag;
            grainState.RecordExists = true;
            return Task.CompletedTask;
        }

        public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
        {
            shared._states.TryRemove((stateName, grainId), out _);
            grainState.ETag = null;
            grainState.RecordExists = false;
            return Task.CompletedTask;
        }
    }
}
