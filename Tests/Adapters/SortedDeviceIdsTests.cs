using Orleans.IoT.Silo.Adapters.Memory;

namespace Orleans.IoT.Tests.Adapters;

public sealed class SortedDeviceIdsTests
{
    [Fact]
    public void Ids_added_in_any_order_are_read_back_in_ordinal_order_from_any_point()
    {
        var random = new Random(12);
        var ids = Enumerable.Range(0, 3_000).Select(i => $"d{random.Next():x8}-{i}").ToList();
        var sorted = new SortedDeviceIds();
        foreach (var id in ids)
        {
            sorted.Add(id);
        }

        var expected = ids.Order(StringComparer.Ordinal).ToList();
        Assert.Equal(expected, ReadAll(sorted, after: null, batch: 700));
        foreach (var after in new[] { expected[0], expected[511], expected[1_234], expected[^2], expected[^1], "a", "d8", "z" })
        {
            Assert.Equal(expected.Where(id => string.CompareOrdinal(id, after) > 0), ReadAll(sorted, after, batch: 97));
        }
    }

    [Fact]
    public void An_empty_order_has_nothing_to_read()
    {
        Assert.Equal(0, new SortedDeviceIds().CopyAfter(null, new string[4]));
    }

    private static List<string> ReadAll(SortedDeviceIds sorted, string? after, int batch)
    {
        var read = new List<string>();
        var buffer = new string[batch];
        int copied;
        while ((copied = sorted.CopyAfter(after, buffer)) > 0)
        {
            read.AddRange(buffer[..copied]);
            after = buffer[copied - 1];
        }

        return read;
    }
}
