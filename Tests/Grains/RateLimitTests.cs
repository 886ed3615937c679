namespace Orleans.IoT.Tests.Grains;

/// <summary>The device grain's limits (RateLimit:*: 25 messages and 5 registration attempts per device in 60 s here).</summary>
[Collection(ClusterCollection.Name)]
public sealed class RateLimitTests(ClusterFixture cluster)
{
    private static readonly RegisterRequest Sensor = new("Sensor", "thermometer", "1.0", null, null, []);

    [Fact]
    public async Task Concurrent_callers_get_exactly_the_limit_accepted_and_the_rest_refused_with_a_retry_after()
    {
        const int callers = 8;
        const int messagesEach = 20;
        var (device, id, token) = await cluster.RegisterDeviceAsync();
        var caller = new Caller(CallerKind.Anonymous, token);

        var results = await Task.WhenAll(Enumerable.Range(0, callers).Select(c => Task.Run(async () =>
        {
            var outcomes = new List<DeviceResult>();
            for (var i = 0; i < messagesEach; i++)
            {
                outcomes.Add(await device.RecordReading(new SensorReading(id, "temperature", 20, "celsius", 1_700_000_000 + (c * messagesEach) + i, "good"), caller));
            }

            return outcomes;
        })));

        var all = results.SelectMany(r => r).ToList();
        Assert.Equal(ClusterFixture.RateLimit, all.Count(r => r.IsOk));
        var refused = all.Where(r => !r.IsOk).ToList();
        Assert.Equal((callers * messagesEach) - ClusterFixture.RateLimit, refused.Count);
        Assert.All(refused, r =>
        {
            Assert.Equal(ErrorCodes.RateLimited, r.ErrorCode);
            Assert.InRange(r.RetryAfterSeconds!.Value, 1, 60);
            Assert.Equal(Math.Floor(r.RetryAfterSeconds.Value), r.RetryAfterSeconds.Value);
        });
        Assert.Equal(ClusterFixture.RateLimit, cluster.History.Read(id, "temperature").Count);
    }

    [Fact]
    public async Task Registration_attempts_are_limited_per_device_id_refused_ones_included()
    {
        var id = $"dev-{Guid.NewGuid():N}";
        var device = cluster.Client.GetGrain<IDeviceGrain>(id);
        var token = (await device.Register(Sensor, Caller.Provisioning)).AuthToken!;
        for (var i = 1; i < ClusterFixture.RegistrationLimit; i++)
        {
            var guess = await device.Register(Sensor, new Caller(CallerKind.Anonymous, $"guess-{i}"));
            Assert.Equal(ErrorCodes.AlreadyRegistered, guess.Result.ErrorCode);
        }

        var withTheToken = await device.Register(Sensor, new Caller(CallerKind.Anonymous, token));
        var byAnOperator = await device.Register(Sensor, Caller.Operator("ops"));

        Assert.Equal(ErrorCodes.RateLimited, withTheToken.Result.ErrorCode);
        Assert.Null(withTheToken.AuthToken);
        Assert.InRange(withTheToken.Result.RetryAfterSeconds!.Value, 1, 60);
        Assert.Equal(ErrorCodes.RateLimited, byAnOperator.Result.ErrorCode);
        Assert.True(await device.Authenticate(token), "a refused attempt changes nothing");
        Assert.True((await cluster.RegisterDeviceAsync()).Device is not null, "another device id has its own count");
    }

    [Fact]
    public async Task An_unregistered_device_id_keeps_counting_its_registration_attempts_when_looked_up()
    {
        var id = $"dev-{Guid.NewGuid():N}";
        var device = cluster.Client.GetGrain<IDeviceGrain>(id);
        for (var i = 0; i < ClusterFixture.RegistrationLimit; i++)
        {
            Assert.Equal(ErrorCodes.Unauthorized, (await device.Register(Sensor, Caller.Anonymous)).Result.ErrorCode);
        }

        Assert.False(await device.IsRegistered()); // what a CONNECT under this client id asks; the grain stays to keep its count
        await Task.Delay(100);

        Assert.Equal(ErrorCodes.RateLimited, (await device.Register(Sensor, Caller.Provisioning)).Result.ErrorCode);
        Assert.False(await device.IsRegistered());
    }
}
