using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Orleans.IoT.Grains.Ports;
using Orleans.Runtime;

namespace Orleans.IoT.Tests.Grains;

/// <summary>
/// The grain that samples devices online, ticked by hand on a silo whose clock and catalog the test holds: a tick takes
/// a sample when one is due, a failed count skips the minute and the next tick samples again.
/// </summary>
public sealed class FleetOnlineSamplingTests(FleetOnlineSamplingTests.Fixture cluster) : IClassFixture<FleetOnlineSamplingTests.Fixture>
{
    [Fact]
    public async Task A_tick_samples_when_due_and_a_failed_count_skips_the_minute_without_stopping_the_sampling()
    {
        var grain = cluster.Client.GetGrain<IFleetOnlineGrain>(IFleetOnlineGrain.Key);
        var started = await grain.ReadSamples(FleetOnlineSample.MaxMinutes);
        var first = Assert.Single(started);
        Assert.Equal((cluster.Clock.GetUtcNow(), 2L, 5L), (first.At, first.Online, first.Registered));

        cluster.Clock.Advance(TimeSpan.FromSeconds(30));
        await TickAsync(grain);
        Assert.Single(await grain.ReadSamples(FleetOnlineSample.MaxMinutes));

        cluster.Clock.Advance(TimeSpan.FromSeconds(30));
        cluster.Counts.Failing = true;
        await TickAsync(grain);
        Assert.Single(await grain.ReadSamples(FleetOnlineSample.MaxMinutes));

        cluster.Counts.Failing = false;
        cluster.Counts.Online = 4;
        cluster.Clock.Advance(TimeSpan.FromMinutes(1));
        await TickAsync(grain);
        var samples = await grain.ReadSamples(FleetOnlineSample.MaxMinutes);
        Assert.Equal([2L, 4L], samples.Select(s => s.Online));
        Assert.Equal(cluster.Clock.GetUtcNow(), samples[^1].At);
        Assert.Equal([4L], (await grain.ReadSamples(1)).Select(s => s.Online));
    }

    private Task TickAsync(IFleetOnlineGrain grain)
    {
        var now = cluster.Clock.GetUtcNow().UtcDateTime;
        return grain.AsReference<IRemindable>().ReceiveReminder("fleet-online-sampling", new TickStatus(now, TimeSpan.FromMinutes(1), now));
    }

    /// <summary>A silo of its own, with a clock the test moves and a catalog that counts what the test says, or fails.</summary>
    public sealed class Fixture : ClusterFixture
    {
        public FakeTimeProvider Clock { get; } = new(new DateTimeOffset(2026, 11, 29, 12, 0, 0, TimeSpan.Zero));

        public CountingCatalog Counts { get; } = new();

        protected override void ConfigureServices(IServiceCollection services)
        {
            services.AddSingleton<TimeProvider>(Clock);
            services.AddSingleton<IFleetCatalog>(Counts);
        }
    }

    /// <summary>Five registered devices of one type, <see cref="Online"/> of them online; or unreachable while <see cref="Failing"/>.</summary>
    public sealed class CountingCatalog : IFleetCatalog
    {
        public volatile bool Failing;

        public long Online { get; set; } = 2;

        public ValueTask<IReadOnlyList<FleetCatalogGroup>> CountByTypeAndStatusAsync(CancellationToken cancellationToken) =>
            Failing
                ? throw new PassingFaultException("the catalog cannot be reached")
                : ValueTask.FromResult<IReadOnlyList<FleetCatalogGroup>>([new("sensor", true, true, Online), new("sensor", true, false, 5 - Online)]);

        public ValueTask<IReadOnlyList<SilentDevice>> SilentLongestAsync(int limit, CancellationToken cancellationToken) =>
            ValueTask.FromResult<IReadOnlyList<SilentDevice>>([]);
    }
}
