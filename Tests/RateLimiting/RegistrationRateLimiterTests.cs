using Microsoft.Extensions.Time.Testing;
using Orleans.IoT.Gateway.RateLimiting;

namespace Orleans.IoT.Tests.RateLimiting;

public sealed class RegistrationRateLimiterTests
{
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(60);

    private readonly FakeTimeProvider _clock = new();

    [Fact]
    public void Each_client_gets_the_limit_per_window_and_then_the_whole_seconds_to_wait()
    {
        var limiter = new RegistrationRateLimiter(2, Window, _clock);
        Assert.Null(limiter.TryAcquire("installer-1"));
        Assert.Null(limiter.TryAcquire("installer-1"));

        Assert.Equal(60, limiter.TryAcquire("installer-1"));
        _clock.Advance(TimeSpan.FromSeconds(0.5));
        Assert.Equal(60, limiter.TryAcquire("installer-1"));
        _clock.Advance(TimeSpan.FromSeconds(59));
        Assert.Equal(1, limiter.TryAcquire("installer-1"));
        Assert.Null(limiter.TryAcquire("installer-2")); // another client has its own count

        _clock.Advance(TimeSpan.FromSeconds(0.5));
        Assert.Null(limiter.TryAcquire("installer-1"));
    }

    [Fact]
    public void Memory_stays_bounded_under_a_flood_of_client_ids_and_entries_leave_with_their_window()
    {
        var limiter = new RegistrationRateLimiter(1, Window, _clock, maxTrackedClients: 50);
        for (var i = 0; i < 10_000; i++)
        {
            limiter.TryAcquire($"auto-{i}");
            Assert.True(limiter.TrackedClients <= 50);
        }

        Assert.NotNull(limiter.TryAcquire("auto-9999"));
        _clock.Advance(Window);
        limiter.TryAcquire("later");

        Assert.Equal(1, limiter.TrackedClients);
    }
}
