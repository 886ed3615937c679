namespace Orleans.IoT.Tests.Grains;

/// <summary>The device grain's windows on a clock the tests move (RateLimit: 25 messages, 5 registration attempts, 60 s).</summary>
public sealed class RateLimitRolloverTests(FakeClockClusterFixture cluster) : IClassFixture<FakeClockClusterFixture>
{
    [Fact]
    public async Task Retry_after_counts_down_in_whole_seconds_and_the_next_window_accepts_again()
    {
        var (device, _, token) = await cluster.RegisterDeviceAsync();
        var caller = new Caller(CallerKind.Anonymous, token);
        for (var i = 0; i < ClusterFixture.RateLimit; i++)
        {
            Assert.True((await device.Heartbeat(DeviceMetrics.None, caller)).IsOk);
        }

        Assert.Equal(60, (await device.Heartbeat(DeviceMetrics.None, caller)).RetryAfterSeconds);
        cluster.Clock.Advance(TimeSpan.FromSeconds(0.001));
        Assert.Equal(60, (await device.Heartbeat(DeviceMetrics.None, caller)).RetryAfterSeconds); // never short of the window's end
        cluster.Clock.Advance(TimeSpan.FromSeconds(29.999));
        Assert.Equal(30, (await device.Heartbeat(DeviceMetrics.None, caller)).RetryAfterSeconds);
        cluster.Clock.Advance(TimeSpan.FromSeconds(29.999));
        Assert.Equal(1, (await device.Heartbeat(DeviceMetrics.None, caller)).RetryAfterSeconds);

        cluster.Clock.Advance(TimeSpan.FromSeconds(0.001)); // the window's end: a new window
        for (var i = 0; i < ClusterFixture.RateLimit; i++)
        {
            Assert.True((await device.Heartbeat(DeviceMetrics.None, caller)).IsOk);
        }

        Assert.Equal(60, (await device.Heartbeat(DeviceMetrics.None, caller)).RetryAfterSeconds);
    }

    [Fact]
    public async Task Registration_attempts_are_counted_afresh_in_the_next_window()
    {
        var (device, _, token) = await cluster.RegisterDeviceAsync();
        var caller = new Caller(CallerKind.Anonymous, token);
        for (var i = 1; i < ClusterFixture.RegistrationLimit; i++)
        {
            Assert.Equal(ErrorCodes.AlreadyRegistered, (await device.Register(Sensor, Caller.Provisioning)).Result.ErrorCode);
        }

        var refused = await device.Register(Sensor, caller);
        Assert.Equal(ErrorCodes.RateLimited, refused.Result.ErrorCode);
        Assert.Equal(60, refused.Result.RetryAfterSeconds);

        cluster.Clock.Advance(TimeSpan.FromSeconds(60));

        Assert.True((await device.Register(Sensor, caller)).Result.IsOk);
    }

    private static readonly RegisterRequest Sensor = new("Sensor", "thermometer", "1.0", null, null, []);
}
