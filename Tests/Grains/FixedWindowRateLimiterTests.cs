using Orleans.IoT.Grains;

namespace Orleans.IoT.Tests.Grains;

public sealed class FixedWindowRateLimiterTests
{
    private const long Start = 1_700_000_000_123;

    [Fact]
    public void The_limit_holds_in_a_window_and_the_wait_is_whole_seconds_never_short_of_its_end()
    {
        var limiter = new FixedWindowRateLimiter();
        Assert.Null(limiter.TryAcquire(Start, 2, 60));
        Assert.Null(limiter.TryAcquire(Start + 10, 2, 60));

        Assert.Equal(60, limiter.TryAcquire(Start + 10, 2, 60)); // 59.99 s left
        Assert.Equal(59, limiter.TryAcquire(Start + 1000, 2, 60)); // exactly 59 s left
        Assert.Equal(1, limiter.TryAcquire(Start + 59_000, 2, 60));
        Assert.Equal(1, limiter.TryAcquire(Start + 59_999, 2, 60)); // 1 ms left: at least 1
    }

    [Fact]
    public void A_window_ends_exactly_and_the_next_one_counts_afresh()
    {
        var limiter = new FixedWindowRateLimiter();
        Assert.Null(limiter.TryAcquire(Start, 1, 60));
        Assert.NotNull(limiter.TryAcquire(Start + 59_999, 1, 60));

        Assert.Null(limiter.TryAcquire(Start + 60_000, 1, 60));
        Assert.Equal(60, limiter.TryAcquire(Start + 60_000, 1, 60));
        Assert.Null(limiter.TryAcquire(Start + 200_000, 1, 60)); // after a quiet spell, a window opens with the next event
    }

    [Fact]
    public void Refused_events_are_not_counted()
    {
        var limiter = new FixedWindowRateLimiter();
        Assert.Null(limiter.TryAcquire(Start, 1, 60));
        for (var i = 0; i < 100; i++)
        {
            Assert.NotNull(limiter.TryAcquire(Start + i, 1, 60));
        }

        Assert.Null(limiter.TryAcquire(Start + 60_000, 1, 60));
    }

    [Fact]
    public void A_clock_set_back_before_the_window_opens_a_new_one()
    {
        var limiter = new FixedWindowRateLimiter();
        Assert.Null(limiter.TryAcquire(Start, 1, 60));

        Assert.Null(limiter.TryAcquire(Start - 1, 1, 60));
        Assert.Equal(60, limiter.TryAcquire(Start - 1, 1, 60));
    }

    [Fact]
    public void It_counts_while_a_window_with_events_is_open()
    {
        var limiter = new FixedWindowRateLimiter();
        Assert.False(limiter.IsCounting(Start));

        limiter.TryAcquire(Start, 1, 60);

        Assert.True(limiter.IsCounting(Start + 59_999));
        Assert.False(limiter.IsCounting(Start + 60_000));
    }
}
