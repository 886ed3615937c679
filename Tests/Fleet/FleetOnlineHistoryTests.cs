using Orleans.IoT.Grains.Fleet;
using Orleans.IoT.Grains.Ports;

namespace Orleans.IoT.Tests.Fleet;

/// <summary>The rules of the minute samples of devices online: what a sample counts, when one is due, how long they are kept.</summary>
public sealed class FleetOnlineHistoryTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 29, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Day = TimeSpan.FromMinutes(1440);

    [Fact]
    public void A_sample_counts_registered_devices_and_the_online_among_them_never_unregistered_ones()
    {
        FleetCatalogGroup[] groups =
        [
            new("thermometer", Active: true, Online: true, 3),
            new("thermometer", Active: true, Online: false, 2),
            new("thermometer", Active: false, Online: true, 7),
            new("hygrometer", Active: true, Online: true, 1),
        ];

        var sample = FleetOnlineHistory.Count(groups, Start);

        Assert.Equal(new FleetOnlineSample(Start, Online: 4, Registered: 6), sample);
    }

    [Fact]
    public void One_sample_a_minute_is_kept_and_a_second_within_the_minute_is_not()
    {
        var samples = new List<FleetOnlineSample>();

        Assert.True(FleetOnlineHistory.Add(samples, Sample(Start, 1), Day));
        Assert.False(FleetOnlineHistory.Add(samples, Sample(Start.AddSeconds(30), 2), Day));
        Assert.True(FleetOnlineHistory.Add(samples, Sample(Start.AddSeconds(57), 3), Day));

        Assert.Equal([1L, 3L], samples.Select(s => s.Online));
    }

    [Fact]
    public void Samples_older_than_the_retention_are_dropped_so_the_ring_stays_bounded()
    {
        var samples = new List<FleetOnlineSample>();
        var retention = TimeSpan.FromMinutes(10);

        for (var minute = 0; minute < 100; minute++)
        {
            FleetOnlineHistory.Add(samples, Sample(Start.AddMinutes(minute), minute), retention);
        }

        Assert.Equal(10, samples.Count);
        Assert.Equal(Start.AddMinutes(90), samples[0].At);
        Assert.Equal(Start.AddMinutes(99), samples[^1].At);
    }

    [Fact]
    public void A_read_returns_the_samples_of_the_minutes_asked_oldest_first()
    {
        var samples = new List<FleetOnlineSample>();
        for (var minute = 0; minute < 120; minute++)
        {
            FleetOnlineHistory.Add(samples, Sample(Start.AddMinutes(minute), minute), Day);
        }

        var now = Start.AddMinutes(119).AddSeconds(10);
        var lastHour = FleetOnlineHistory.Since(samples, now, 60);

        Assert.Equal(60, lastHour.Count);
        Assert.Equal(Start.AddMinutes(60), lastHour[0].At);
        Assert.Equal(Start.AddMinutes(119), lastHour[^1].At);
        Assert.Empty(FleetOnlineHistory.Since(samples, Start.AddHours(5), 60));
    }

    [Fact]
    public void A_sample_is_due_when_there_is_none_or_the_last_is_a_minute_old()
    {
        var samples = new List<FleetOnlineSample>();
        Assert.True(FleetOnlineHistory.IsDue(samples, Start));

        FleetOnlineHistory.Add(samples, Sample(Start, 0), Day);

        Assert.False(FleetOnlineHistory.IsDue(samples, Start.AddSeconds(20)));
        Assert.True(FleetOnlineHistory.IsDue(samples, Start.AddMinutes(1)));
        Assert.True(FleetOnlineHistory.IsDue(samples, Start.AddMinutes(30)));
    }

    private static FleetOnlineSample Sample(DateTimeOffset at, long online) => new(at, online, online + 1);
}
