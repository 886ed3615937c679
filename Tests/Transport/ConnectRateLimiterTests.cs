using Microsoft.Extensions.Time.Testing;
using Orleans.IoT.Gateway.Transport;

namespace Orleans.IoT.Tests.Transport;

public sealed class ConnectRateLimiterTests
{
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(60);

    private readonly FakeTimeProvider _clock = new();

    [Fact]
    public void The_limit_holds_per_client_id_within_the_window()
    {
        var limiter = new ConnectRateLimiter(3, Window, _clock);

        Assert.True(limiter.TryAcquire("dev-1"));
        Assert.True(limiter.TryAcquire("dev-1"));
        Assert.True(limiter.TryAcquire("dev-1"));
        Assert.False(limiter.TryAcquire("dev-1"));
        _clock.Advance(Window - TimeSpan.FromMilliseconds(1));
        Assert.False(limiter.TryAcquire("dev-1"));

        Assert.True(limiter.TryAcquire("dev-2")); // another client id is its own
        Assert.True(limiter.TryAcquire("DEV-1")); // ids are compared exactly
    }

    [Fact]
    public void A_new_window_starts_once_the_last_one_has_ended()
    {
        var limiter = new ConnectRateLimiter(2, Window, _clock);
        Assert.True(limiter.TryAcquire("dev-1"));
        _clock.Advance(TimeSpan.FromSeconds(30));
        Assert.True(limiter.TryAcquire("dev-1"));
        Assert.False(limiter.TryAcquire("dev-1"));

        _clock.Advance(TimeSpan.FromSeconds(30)); // 60 s after the window's first CONNECT

        Assert.True(limiter.TryAcquire("dev-1"));
        Assert.True(limiter.TryAcquire("dev-1"));
        Assert.False(limiter.TryAcquire("dev-1"));
    }

    [Fact]
    public void Entries_expire_with_their_window()
    {
        var limiter = new ConnectRateLimiter(5, Window, _clock);
        for (var i = 0; i < 1000; i++)
        {
            limiter.TryAcquire($"dev-{i}");
        }

        Assert.Equal(1000, limiter.TrackedClientIds);
        _clock.Advance(Window);
        limiter.TryAcquire("another");

        Assert.Equal(1, limiter.TrackedClientIds);
    }

    [Fact]
    public void The_tracked_set_is_capped_and_the_oldest_window_goes_first()
    {
        var limiter = new ConnectRateLimiter(1, Window, _clock, maxTrackedClientIds: 100);
        Assert.True(limiter.TryAcquire("oldest"));
        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.True(limiter.TryAcquire("second"));
        _clock.Advance(TimeSpan.FromSeconds(1));

        for (var i = 0; i < 10_000; i++)
        {
            limiter.TryAcquire($"flood-{i}");
            Assert.True(limiter.TrackedClientIds <= 100);
        }

        Assert.True(limiter.TryAcquire("oldest")); // evicted: counted afresh
        Assert.False(limiter.TryAcquire("flood-9999")); // the newest are still tracked
    }

    [Fact]
    public void Eviction_keeps_the_newer_windows()
    {
        var limiter = new ConnectRateLimiter(1, Window, _clock, maxTrackedClientIds: 3);
        limiter.TryAcquire("a");
        _clock.Advance(TimeSpan.FromSeconds(1));
        limiter.TryAcquire("b");
        _clock.Advance(TimeSpan.FromSeconds(1));
        limiter.TryAcquire("c");

        Assert.True(limiter.TryAcquire("d")); // "a" makes room

        Assert.False(limiter.TryAcquire("b"));
        Assert.False(limiter.TryAcquire("c"));
        Assert.False(limiter.TryAcquire("d"));
        Assert.Equal(3, limiter.TrackedClientIds);
    }

    [Fact]
    public void Long_client_ids_are_tracked_by_a_hash_and_still_told_apart()
    {
        var limiter = new ConnectRateLimiter(1, Window, _clock);
        var longId = new string('x', 60_000);

        Assert.True(limiter.TryAcquire(longId));
        Assert.False(limiter.TryAcquire(new string('x', 60_000)));
        Assert.True(limiter.TryAcquire(longId + "y"));
    }

    [Fact]
    public void Concurrent_connects_for_one_id_are_counted_exactly()
    {
        var limiter = new ConnectRateLimiter(100, Window, _clock);
        var accepted = 0;

        Parallel.For(0, 1000, _ =>
        {
            if (limiter.TryAcquire("dev-1"))
            {
                Interlocked.Increment(ref accepted);
            }
        });

        Assert.Equal(100, accepted);
    }
}
