using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.IoT.Grains.Ports;
using Orleans.IoT.Silo;
using Orleans.IoT.Silo.Adapters.Memory;
using Orleans.IoT.Silo.Configuration;

namespace Orleans.IoT.Tests.Adapters;

/// <summary>The embedded profile's lifecycle audit: what it keeps and what a read returns.</summary>
public sealed class InMemoryLifecycleAuditTests
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.FromUnixTimeSeconds(1_694_678_400);

    [Fact]
    public async Task A_read_returns_the_devices_entries_in_the_range_oldest_first_up_to_the_limit()
    {
        var audit = NewAudit();
        // Recorded out of order, with another device's entries among them.
        foreach (var second in new[] { 5, 1, 3, 0, 4, 2, 6 })
        {
            await audit.RecordAsync(Entry("dev-a", $"c{second}", "sent", T0.AddSeconds(second)), CancellationToken.None);
            await audit.RecordAsync(Entry("dev-b", $"c{second}", "sent", T0.AddSeconds(second)), CancellationToken.None);
        }

        var inRange = await audit.ReadAsync("dev-a", T0.AddSeconds(1), T0.AddSeconds(5), 100, CancellationToken.None);
        Assert.Equal(["c1", "c2", "c3", "c4"], inRange.Select(e => e.Id));
        Assert.All(inRange, e => Assert.Equal("dev-a", e.DeviceId));

        var limited = await audit.ReadAsync("dev-a", T0, T0.AddSeconds(10), 3, CancellationToken.None);
        Assert.Equal(["c0", "c1", "c2"], limited.Select(e => e.Id));

        Assert.Empty(await audit.ReadAsync("dev-c", T0, T0.AddSeconds(10), 10, CancellationToken.None));
    }

    [Fact]
    public async Task Entries_of_the_same_time_keep_the_order_they_were_recorded_in_and_a_repeated_entry_is_kept_once()
    {
        var audit = NewAudit();
        var detail = """{"command":"reboot","parameters":{"delay":5}}""";
        await audit.RecordAsync(Entry("dev", "c1", "queued", T0, detail), CancellationToken.None);
        await audit.RecordAsync(Entry("dev", "c1", "sent", T0), CancellationToken.None);
        await audit.RecordAsync(Entry("dev", "c1", "delivered", T0), CancellationToken.None);
        await audit.RecordAsync(Entry("dev", "c1", "sent", T0), CancellationToken.None);

        var entries = await audit.ReadAsync("dev", T0, T0.AddTicks(10), 10, CancellationToken.None);
        Assert.Equal(["queued", "sent", "delivered"], entries.Select(e => e.State));
        Assert.Equal(detail, entries[0].DetailJson);
        Assert.Null(entries[1].DetailJson);
    }

    [Fact]
    public async Task Each_device_keeps_its_newest_entries_up_to_the_bound()
    {
        var audit = NewAudit(maxPerDevice: 5);
        for (var i = 9; i >= 0; i--)
        {
            await audit.RecordAsync(Entry("dev", $"c{i}", "sent", T0.AddSeconds(i)), CancellationToken.None);
        }

        await audit.RecordAsync(Entry("other", "c0", "sent", T0), CancellationToken.None);

        Assert.Equal(["c5", "c6", "c7", "c8", "c9"], audit.Read("dev").Select(e => e.Id));
        var read = await audit.ReadAsync("dev", T0, T0.AddSeconds(100), 1000, CancellationToken.None);
        Assert.Equal(5, read.Count);
        Assert.Single(audit.Read("other"));
    }

    [Fact]
    public async Task Times_are_kept_to_the_microsecond_in_utc()
    {
        var audit = NewAudit();
        var at = new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.FromHours(2)).AddTicks(1_234_567);
        await audit.RecordAsync(Entry("dev", "c1", "sent", at), CancellationToken.None);

        var entry = Assert.Single(audit.Read("dev"));
        Assert.Equal(TimeSpan.Zero, entry.At.Offset);
        Assert.Equal(at.UtcTicks - 7, entry.At.UtcTicks);
    }

    [Theory]
    [InlineData(0, 0, 1)]
    [InlineData(1001, 0, 1)]
    [InlineData(10, 1, 1)]
    [InlineData(10, 2, 1)]
    public async Task A_read_with_a_bad_limit_or_range_is_refused(int limit, int fromSecond, int toSecond)
    {
        var audit = NewAudit();
        await Assert.ThrowsAnyAsync<ArgumentException>(() =>
            audit.ReadAsync("dev", T0.AddSeconds(fromSecond), T0.AddSeconds(toSecond), limit, CancellationToken.None));
        await Assert.ThrowsAnyAsync<ArgumentException>(() =>
            audit.ReadAsync("", T0, T0.AddSeconds(1), 10, CancellationToken.None));
    }

    [Theory]
    [InlineData("[1, 2]")]
    [InlineData("\"text\"")]
    [InlineData("{not json")]
    public async Task An_entry_whose_detail_is_not_a_json_object_is_refused(string detail)
    {
        var audit = NewAudit();
        await Assert.ThrowsAnyAsync<ArgumentException>(async () =>
            await audit.RecordAsync(Entry("dev", "c1", "sent", T0, detail), CancellationToken.None));
        Assert.Empty(audit.Read("dev"));
    }

    [Fact]
    public async Task Devices_recording_at_once_lose_nothing()
    {
        var audit = NewAudit(maxPerDevice: 10_000);
        await Task.WhenAll(Enumerable.Range(0, 8).Select(writer => Task.Run(async () =>
        {
            for (var i = 0; i < 500; i++)
            {
                await audit.RecordAsync(Entry($"dev-{writer % 2}", $"w{writer}-{i}", "sent", T0.AddMilliseconds(i)), CancellationToken.None);
            }
        })));

        Assert.Equal(2000, audit.Read("dev-0").Count);
        Assert.Equal(2000, audit.Read("dev-1").Count);
        var read = await audit.ReadAsync("dev-0", T0, T0.AddSeconds(1), 1000, CancellationToken.None);
        Assert.Equal(read.OrderBy(e => e.At).Select(e => e.At), read.Select(e => e.At));
    }

    [Fact]
    public async Task The_latest_commands_and_one_commands_entries_are_read_as_the_operator_api_needs_them()
    {
        var audit = NewAudit();
        await LifecycleAuditReadScenario.RecordAsync(audit, "dev");

        await LifecycleAuditReadScenario.AssertReadsAsync(audit, "dev");
    }

    [Fact]
    public async Task The_embedded_node_records_and_reads_through_one_in_memory_audit()
    {
        await using var app = await IoTNode.BuildAsync([]);
        var audit = app.Services.GetRequiredService<InMemoryLifecycleAudit>();
        Assert.Same(audit, app.Services.GetRequiredService<ILifecycleAudit>());
        Assert.Same(audit, app.Services.GetRequiredService<ILifecycleAuditReader>());
    }

    private static InMemoryLifecycleAudit NewAudit(int maxPerDevice = 1000) =>
        new(Options.Create(new AuditOptions { MaxEntriesPerDevice = maxPerDevice }));

    private static LifecycleAuditEntry Entry(string deviceId, string id, string state, DateTimeOffset at, string? detail = null) =>
        new(deviceId, "command", id, state, at, detail);
}
