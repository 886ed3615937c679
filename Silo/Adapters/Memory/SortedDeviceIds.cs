using System.Runtime.InteropServices;

namespace Orleans.IoT.Silo.Adapters.Memory;

/// <summary>
/// The catalog's device ids in ordinal order, kept as devices are added so that a page of the device list is read
/// from where the previous one ended instead of sorting the fleet. The ids are held in sorted chunks of at most
/// <see cref="MaxChunk"/>: a new id costs two binary searches and a copy within one chunk, a read a binary search and
/// then consecutive reads. Ids are never removed (a catalog row stays when its device is unregistered). Not
/// thread-safe: the catalog guards it.
/// </summary>
public sealed class SortedDeviceIds
{
    private const int MaxChunk = 512;

    /// <summary>Sorted chunks, none empty, each one's ids all before the next one's.</summary>
    private readonly List<List<string>> _chunks = [];

    /// <summary>Adds <paramref name="deviceId"/>, which must not be here yet.</summary>
    public void Add(string deviceId)
    {
        if (_chunks.Count == 0)
        {
            _chunks.Add([deviceId]);
            return;
        }

        // The first chunk whose last id follows this one; past the last chunk, the last chunk.
        var chunkIndex = Math.Min(FirstChunkEndingAfter(deviceId), _chunks.Count - 1);
        var chunk = _chunks[chunkIndex];
        chunk.Insert(~chunk.BinarySearch(deviceId, StringComparer.Ordinal), deviceId);
        if (chunk.Count > MaxChunk)
        {
            var upper = chunk.GetRange(MaxChunk / 2, chunk.Count - MaxChunk / 2);
            chunk.RemoveRange(MaxChunk / 2, chunk.Count - MaxChunk / 2);
            _chunks.Insert(chunkIndex + 1, upper);
        }
    }

    /// <summary>
    /// Copies the ids that follow <paramref name="afterDeviceId"/> (all, when null) into <paramref name="into"/>, as
    /// many as fit; returns how many it copied (0: none follow).
    /// </summary>
    public int CopyAfter(string? afterDeviceId, Span<string> into)
    {
        var chunkIndex = afterDeviceId is null ? 0 : FirstChunkEndingAfter(afterDeviceId);
        if (chunkIndex == _chunks.Count)
        {
            return 0;
        }

        var index = 0;
        if (afterDeviceId is not null)
        {
            index = _chunks[chunkIndex].BinarySearch(afterDeviceId, StringComparer.Ordinal);
            index = index >= 0 ? index + 1 : ~index;
        }

        var copied = 0;
        for (; chunkIndex < _chunks.Count && copied < into.Length; chunkIndex++, index = 0)
        {
            var chunk = _chunks[chunkIndex];
            var count = Math.Min(chunk.Count - index, into.Length - copied);
            CollectionsMarshal.AsSpan(chunk).Slice(index, count).CopyTo(into[copied..]);
            copied += count;
        }

        return copied;
    }

    /// <summary>The first chunk whose last id follows <paramref name="deviceId"/>; the number of chunks when there is none.</summary>
    private int FirstChunkEndingAfter(string deviceId)
    {
        int low = 0, high = _chunks.Count;
        while (low < high)
        {
            var middle = (low + high) >>> 1;
            if (string.CompareOrdinal(_chunks[middle][^1], deviceId) > 0)
            {
                high = middle;
            }
            else
            {
                low = middle + 1;
            }
        }

        return low;
    }
}
