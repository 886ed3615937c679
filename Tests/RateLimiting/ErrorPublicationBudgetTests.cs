using Microsoft.Extensions.Time.Testing;
using Orleans.IoT.Gateway.RateLimiting;

namespace Orleans.IoT.Tests.RateLimiting;

public sealed class ErrorPublicationBudgetTests
{
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(60);

    private readonly FakeTimeProvider _clock = new();

    [Fact]
    public void A_device_gets_its_budget_per_window()
    {
        var budget = new ErrorPublicationBudget(3, Window, _clock);
        Assert.Equal([true, true, true, false, false], Enumerable.Range(0, 5).Select(_ => budget.TryTake("dev-1", fromItsOwnSession: true)));
        Assert.True(budget.TryTake("dev-2", fromItsOwnSession: true));

        _clock.Advance(Window);

        Assert.True(budget.TryTake("dev-1", fromItsOwnSession: true));
    }

    [Fact]
    public void Other_senders_cannot_spend_the_devices_own_budget()
    {
        var budget = new ErrorPublicationBudget(2, Window, _clock);
        for (var i = 0; i < 1000; i++)
        {
            budget.TryTake("victim", fromItsOwnSession: false);
        }

        Assert.False(budget.TryTake("victim", fromItsOwnSession: false));
        Assert.True(budget.TryTake("victim", fromItsOwnSession: true));
        Assert.True(budget.TryTake("victim", fromItsOwnSession: true));
        Assert.False(budget.TryTake("victim", fromItsOwnSession: true));
    }

    [Fact]
    public void Memory_stays_bounded_under_refusals_for_many_devices()
    {
        var budget = new ErrorPublicationBudget(1, Window, _clock, maxTrackedBudgets: 100);
        for (var i = 0; i < 10_000; i++)
        {
            budget.TryTake($"dev-{i}", fromItsOwnSession: i % 2 == 0);
            Assert.True(budget.TrackedBudgets <= 100);
        }
    }
}
