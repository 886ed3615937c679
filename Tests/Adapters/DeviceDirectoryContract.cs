using Orleans.IoT.Grains.Ports;
using Orleans.IoT.Silo.Adapters.Memory;

namespace Orleans.IoT.Tests.Adapters;

/// <summary>
/// What both device catalogs answer to the device list, each test on rows of its own (a prefix in every id, type,
/// location and name, as the PostgreSQL catalog is shared by the durable tests).
/// </summary>
public abstract class DeviceDirectoryContract
{
    private static readonly DateTimeOffset Created = new(2025, 3, 1, 12, 0, 0, TimeSpan.Zero);

    /// <summary>A catalog holding <paramref name="entries"/> (stored, not only queued), read as a directory.</summary>
    protected abstract Task<IDeviceDirectory> StoreAsync(IReadOnlyList<DeviceCatalogEntry> entries);

    [Fact]
    public async Task Each_filter_alone_and_combined_selects_the_matching_rows_in_id_order()
    {
        var p = NewPrefix();
        var (sensor, meter, hall, roof) = ($"{p}sensor", $"{p}meter", $"{p}hall", $"{p}roof");
        List<DeviceCatalogEntry> entries =
        [
            Entry($"{p}e", sensor, hall, $"{p} Boiler PUMP", active: true, online: true),
            Entry($"{p}a", sensor, roof, $"{p} Chiller", active: true, online: false),
            Entry($"{p}c", meter, hall, $"{p} pump house", active: false, online: false),
            Entry($"{p}b", meter, roof, $"{p} Boiler", active: true, online: true),
            Entry($"{p}d", sensor, hall, $"{p} fan", active: false, online: true),
        ];
        var directory = await StoreAsync(entries);

        async Task<string> Ids(string? status = null, string? type = null, string? location = null, string? q = null) =>
            string.Concat((await directory.ListAsync(new DeviceQuery(status, type, location, q, null, 50), CancellationToken.None)).Devices.Select(d => d.DeviceId[p.Length..]));

        Assert.Equal("ade", await Ids(type: sensor));
        Assert.Equal("cde", await Ids(location: hall));
        Assert.Equal("be", await Ids(q: $"{p} BOILER".ToUpperInvariant()));
        Assert.Equal("ce", await Ids(q: "pump", location: hall));
        Assert.Equal("be", await Ids(status: DeviceStatuses.Online, q: p));
        Assert.Equal("a", await Ids(status: DeviceStatuses.Offline, q: p));
        Assert.Equal("cd", await Ids(status: DeviceStatuses.Unregistered, q: p));
        Assert.Equal("d", await Ids(status: DeviceStatuses.Unregistered, type: sensor));
        Assert.Equal("e", await Ids(status: DeviceStatuses.Online, type: sensor, location: hall, q: "PuMp"));
        Assert.Equal("", await Ids(status: DeviceStatuses.Offline, type: meter, location: roof, q: p));
        Assert.Equal("", await Ids(location: $"{p}HALL"));

        var summary = (await directory.ListAsync(new DeviceQuery(null, null, null, "Chiller", null, 50), CancellationToken.None)).Devices
            .Single(d => d.DeviceId == $"{p}a");
        Assert.Equal(
            new DeviceSummary($"{p}a", $"{p} Chiller", sensor, roof, "1.2.3", "rev-b", summary.Capabilities, DeviceStatuses.Offline, Created.AddMinutes(5), Created, Created.AddMinutes(1)),
            summary);
        Assert.Equal(["temperature", "humidity"], summary.Capabilities);
    }

    [Fact]
    public async Task A_name_substring_is_matched_literally_whatever_characters_it_holds()
    {
        var p = NewPrefix();
        var type = $"{p}t";
        var directory = await StoreAsync(
        [
            Entry($"{p}1", type, null, "50% off", true, true),
            Entry($"{p}2", type, null, "500 units", true, true),
            Entry($"{p}3", type, null, "a_b", true, true),
            Entry($"{p}4", type, null, "axb", true, true),
            Entry($"{p}5", type, null, @"back\slash", true, true),
            Entry($"{p}6", type, null, "backslash", true, true),
        ]);

        async Task<string> Ids(string q) =>
            string.Concat((await directory.ListAsync(new DeviceQuery(null, type, null, q, null, 50), CancellationToken.None)).Devices.Select(d => d.DeviceId[p.Length..]));

        Assert.Equal("1", await Ids("0% "));
        Assert.Equal("3", await Ids("a_b"));
        Assert.Equal("5", await Ids(@"k\s"));
    }

    [Fact]
    public async Task Pages_follow_one_another_by_id_and_the_last_says_no_more_follow()
    {
        var p = NewPrefix();
        var type = $"{p}t";
        var entries = Enumerable.Range(0, 30).Select(i => Entry($"{p}{i * 7919 % 1000:D3}", type, null, $"{p} {i}", i % 2 == 0, i % 3 == 0)).ToList();
        var directory = await StoreAsync(entries);

        var walked = new List<string>();
        var pages = 0;
        string? after = null;
        while (true)
        {
            var page = await directory.ListAsync(new DeviceQuery(null, type, null, null, after, 7), CancellationToken.None);
            pages++;
            walked.AddRange(page.Devices.Select(d => d.DeviceId));
            if (!page.HasMore)
            {
                break;
            }

            Assert.Equal(7, page.Devices.Count);
            after = page.Devices[^1].DeviceId;
        }

        Assert.Equal(5, pages);
        Assert.Equal(entries.Select(e => e.DeviceId).Order(StringComparer.Ordinal), walked);
        var exact = await directory.ListAsync(new DeviceQuery(null, type, null, null, null, 30), CancellationToken.None);
        Assert.Equal((30, false), (exact.Devices.Count, exact.HasMore));
    }

    [Fact]
    public async Task A_name_whose_matches_lie_far_past_the_cursor_is_found_there()
    {
        // More rows than the PostgreSQL catalog reads in id order before it looks further by trigrams.
        var p = NewPrefix();
        var type = $"{p}t";
        var entries = Enumerable.Range(0, 5_300)
            .Select(i => Entry($"{p}{i:D5}", type, null, i >= 5_250 && i % 10 == 3 ? $"far {p} needle {i}" : $"near {p} {i}", true, true))
            .ToList();
        var directory = await StoreAsync(entries);

        var first = await directory.ListAsync(new DeviceQuery(null, type, null, "NEEDLE", null, 3), CancellationToken.None);
        var second = await directory.ListAsync(new DeviceQuery(null, type, null, "NEEDLE", first.Devices[^1].DeviceId, 3), CancellationToken.None);

        Assert.Equal([$"{p}05253", $"{p}05263", $"{p}05273"], first.Devices.Select(d => d.DeviceId));
        Assert.True(first.HasMore);
        Assert.Equal([$"{p}05283", $"{p}05293"], second.Devices.Select(d => d.DeviceId));
        Assert.False(second.HasMore);
        var common = await directory.ListAsync(new DeviceQuery(DeviceStatuses.Online, type, null, "near", $"{p}05000", 2), CancellationToken.None);
        Assert.Equal([$"{p}05001", $"{p}05002"], common.Devices.Select(d => d.DeviceId));
    }

    private static string NewPrefix() => $"dir-{Guid.NewGuid():N}-";

    private static DeviceCatalogEntry Entry(string deviceId, string type, string? location, string name, bool active, bool online) => new(
        deviceId, name, type, "1.2.3", "rev-b", location, ["temperature", "humidity"], active, online, Created.AddMinutes(5), Created, Created.AddMinutes(1),
        online ? "127.0.0.1:11111@1" : null);
}

public sealed class InMemoryDeviceDirectoryTests : DeviceDirectoryContract
{
    protected override async Task<IDeviceDirectory> StoreAsync(IReadOnlyList<DeviceCatalogEntry> entries)
    {
        var catalog = new InMemoryDeviceCatalog();
        foreach (var entry in entries)
        {
            await catalog.UpsertAsync(entry, CancellationToken.None);
        }

        return catalog;
    }
}
