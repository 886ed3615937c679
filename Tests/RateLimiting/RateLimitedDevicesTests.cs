using Microsoft.Extensions.Time.Testing;
using Orleans.IoT.Gateway.RateLimiting;

namespace Orleans.IoT.Tests.RateLimiting;

public sealed class RateLimitedDevicesTests
{
    private readonly FakeTimeProvider _clock = new();

    [Fact]
    public void A_device_is_refused_until_the_retry_after_counted_from_when_its_message_went_to_the_grain()
    {
        var devices = new RateLimitedDevices(_clock);
        var sentAt = _clock.GetTimestamp();
        _clock.Advance(TimeSpan.FromMilliseconds(300)); // the grain's answer took this long

        devices.Add("dev-1", sentAt, 10);

        Assert.Equal(10, devices.RetryAfter("dev-1"));
        Assert.Null(devices.RetryAfter("dev-2"));
        _clock.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(5, devices.RetryAfter("dev-1"));
        _clock.Advance(TimeSpan.FromSeconds(4.6));
        Assert.Equal(1, devices.RetryAfter("dev-1"));
        _clock.Advance(TimeSpan.FromSeconds(0.1)); // 10 s after the message was sent

        Assert.Null(devices.RetryAfter("dev-1"));
    }

    [Fact]
    public void While_an_entry_lasts_a_later_refusal_leaves_it_as_it_is()
    {
        var devices = new RateLimitedDevices(_clock);
        devices.Add("dev-1", _clock.GetTimestamp(), 5);

        devices.Add("dev-1", _clock.GetTimestamp(), 60);

        Assert.Equal(5, devices.RetryAfter("dev-1"));
        _clock.Advance(TimeSpan.FromSeconds(5));
        devices.Add("dev-1", _clock.GetTimestamp(), 60);
        Assert.Equal(60, devices.RetryAfter("dev-1"));
    }

    [Fact]
    public void A_retry_after_that_has_already_passed_adds_nothing()
    {
        var devices = new RateLimitedDevices(_clock);
        var sentAt = _clock.GetTimestamp();
        _clock.Advance(TimeSpan.FromSeconds(2));

        devices.Add("dev-1", sentAt, 1);

        Assert.Null(devices.RetryAfter("dev-1"));
        Assert.Equal(0, devices.TrackedDevices);
    }

    [Fact]
    public void Ended_entries_leave_when_the_next_one_comes()
    {
        var devices = new RateLimitedDevices(_clock);
        for (var i = 0; i < 1000; i++)
        {
            devices.Add($"dev-{i}", _clock.GetTimestamp(), 1 + (i % 30));
        }

        _clock.Advance(TimeSpan.FromSeconds(30));
        devices.Add("late", _clock.GetTimestamp(), 30);

        Assert.Equal(1, devices.TrackedDevices);
    }

    [Fact]
    public void At_the_cap_the_entry_that_ends_first_goes()
    {
        var devices = new RateLimitedDevices(_clock, maxTrackedDevices: 3);
        devices.Add("ends-last", _clock.GetTimestamp(), 60);
        devices.Add("ends-first", _clock.GetTimestamp(), 5);
        devices.Add("ends-second", _clock.GetTimestamp(), 30);

        devices.Add("new", _clock.GetTimestamp(), 10);

        Assert.Equal(3, devices.TrackedDevices);
        Assert.Null(devices.RetryAfter("ends-first")); // its messages go to its grain again, which refuses them itself
        Assert.NotNull(devices.RetryAfter("ends-last"));
        Assert.NotNull(devices.RetryAfter("ends-second"));
        Assert.NotNull(devices.RetryAfter("new"));
    }

    [Fact]
    public void Memory_stays_bounded_under_a_flood_of_devices()
    {
        var devices = new RateLimitedDevices(_clock, maxTrackedDevices: 100);
        for (var i = 0; i < 10_000; i++)
        {
            devices.Add($"dev-{i}", _clock.GetTimestamp(), 60);
            Assert.True(devices.TrackedDevices <= 100);
        }
    }
}
