using System.Runtime.InteropServices;
using Orleans.IoT.Grains.Ports;

namespace Orleans.IoT.Silo.Adapters.Memory;

/// <summary>
/// The catalog's entries in device id order (ordinal), kept as entries change so that a page of the device list is
/// read from where the previous one ended instead of sorting the fleet. The entries are held in sorted chunks of at most
/// <see cref="MaxChunk"/>: a new device costs a binary search and a copy within one chunk, a replaced entry a binary
/// search, a read a binary search and then consecutive reads. Not thread-safe: the catalog guards it.
/// </summary>
public sealed class CatalogEntriesById
{
    private const int MaxChunk = 512;

    /// <summary>Sorted chunks, none empty, each one's ids all before the next one's.</summary>
    private readonly List<List<DeviceCatalogEntry>> _chunks = [];

    /// <summary>Adds the entry, or replaces the entry with its device id.</summary>
    public void Set(DeviceCatalogEntry entry)
    {
        if (_chunks.Count == 0)
        {
            _chunks.Add([entry]);
            return;
        }

        // The first chunk whose last id is not before this one's; past the last chunk, the last chunk.
        var chunkIndex = Math.Min(FirstChunkEndingAtOrAfter(entry.DeviceId, inclusive: true), _chunks.Count - 1);
        var chunk = _chunks[chunkIndex];
        var index = IndexIn(chunk, entry.DeviceId);
        if (index >= 0)
        {
            chunk[index] = entry;
            return;
        }

        chunk.Insert(~index, entry);
        if (chunk.Count > MaxChunk)
        {
            var upper = chunk.GetRange(MaxChunk / 2, chunk.Count - MaxChunk / 2);
            chunk.RemoveRange(MaxChunk / 2, chunk.Count - MaxChunk / 2);
            _chunks.Insert(chunkIndex + 1, upper);
        }
    }

    /// <summary>
    /// Copies the entries whose id follows <paramref name="afterDeviceId"/> (all, when null) into
    /// <paramref name="into"/>, as many as fit; returns how many it copied (0: none follow).
    /// </summary>
    public int CopyAfter(string? afterDeviceId, Span<DeviceCatalogEntry> into)
    {
        var chunkIndex = afterDeviceId is null ? 0 : FirstChunkEndingAtOrAfter(afterDeviceId, inclusive: false);
        if (chunkIndex == _chunks.Count)
        {
            return 0;
        }

        var index = 0;
        if (afterDeviceId is not null)
        {
            index = IndexIn(_chunks[chunkIndex], afterDeviceId);
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

    /// <summary>
    /// The first chunk whose last id is at or after (<paramref name="inclusive"/>) or strictly after
    /// <paramref name="deviceId"/>; the number of chunks when there is none.
    /// </summary>
    private int FirstChunkEndingAtOrAfter(string deviceId, bool inclusive)
    {
        int low = 0, high = _chunks.Count;
        while (low < high)
        {
            var middle = (low + high) >>> 1;
            var order = string.CompareOrdinal(_chunks[middle][^1].DeviceId, deviceId);
            if (order > 0 || (inclusive && order == 0))
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

    /// <summary>The entry's index in <paramref name="chunk"/>, or the complement of where it would go.</summary>
    private static int IndexIn(List<DeviceCatalogEntry> chunk, string deviceId)
    {
        int low = 0, high = chunk.Count - 1;
        while (low <= high)
        {
            var middle = (low + high) >>> 1;
            var order = string.CompareOrdinal(chunk[middle].DeviceId, deviceId);
            if (order == 0)
            {
                return middle;
            }

            if (order < 0)
            {
                low = middle + 1;
            }
            else
            {
                high = middle - 1;
            }
        }

        return ~low;
    }
}
