namespace Orleans.IoT.Tests.Grains;

/// <summary>
/// The grain that samples devices online: it is started with the silo and takes its first sample at once, from the
/// device catalog. The minute-by-minute rules are <see cref="Fleet.FleetOnlineHistoryTests"/>'.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class FleetOnlineTests(ClusterFixture cluster)
{
    [Fact]
    public async Task The_silo_starts_the_sampling_and_a_sample_counts_the_catalog()
    {
        var samples = await cluster.Client.GetGrain<IFleetOnlineGrain>(IFleetOnlineGrain.Key).ReadSamples(FleetOnlineSample.MaxMinutes);

        Assert.NotEmpty(samples);
        Assert.Equal(samples.OrderBy(s => s.At), samples);
        var sample = samples[^1];
        Assert.InRange(sample.At, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow);
        Assert.InRange(sample.Online, 0, sample.Registered);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1441)]
    public async Task A_span_outside_a_day_is_refused(int minutes)
    {
        var grain = cluster.Client.GetGrain<IFleetOnlineGrain>(IFleetOnlineGrain.Key);

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => grain.ReadSamples(minutes));
    }
}
