namespace Orleans.IoT.Tests.Grains;

/// <summary>Registration changes nothing unless its write is stored (DESIGN §2: a refused or failed message leaves no partial state).</summary>
[Collection(ClusterCollection.Name)]
public sealed class RegistrationFailureTests(ClusterFixture cluster)
{
    private static readonly RegisterRequest Sensor = new("Sensor", "thermometer", "1.0", null, null, []);
    private static readonly Caller Provisioning = new(CallerKind.Provisioning, null);

    [Fact]
    public async Task A_failed_write_while_renewing_keeps_the_old_token_valid_and_the_device_registrable()
    {
        var id = $"dev-{Guid.NewGuid():N}";
        var device = cluster.Client.GetGrain<IDeviceGrain>(id);
        var token = (await device.Register(Sensor, Provisioning)).AuthToken!;

        cluster.Storage.FailNextWrites(id);
        var failed = await Assert.ThrowsAsync<PassingFaultException>(() => device.Register(Sensor with { Name = "Renamed" }, new Caller(CallerKind.Anonymous, token)));

        Assert.Contains("could not be stored", failed.Message);
        Assert.True(await device.Authenticate(token), "the token no one received never replaced the old one");
        Assert.Equal("Sensor", (await device.GetSnapshot()).Name);
        var renewed = await device.Register(Sensor with { Name = "Renamed" }, new Caller(CallerKind.Anonymous, token));
        Assert.True(renewed.Result.IsOk, renewed.Result.Message);
        Assert.False(await device.Authenticate(token));
        Assert.True(await device.Authenticate(renewed.AuthToken!));
    }

    [Fact]
    public async Task A_failed_write_of_a_first_registration_leaves_the_device_unregistered_and_registrable()
    {
        var id = $"dev-{Guid.NewGuid():N}";
        var device = cluster.Client.GetGrain<IDeviceGrain>(id);

        cluster.Storage.FailNextWrites(id);
        await Assert.ThrowsAsync<PassingFaultException>(() => device.Register(Sensor, Provisioning));

        var snapshot = await device.GetSnapshot();
        Assert.False(snapshot.Registered);
        Assert.Equal("unregistered", snapshot.Presence);
        var registered = await device.Register(Sensor, Provisioning);
        Assert.True(registered.Result.IsOk, registered.Result.Message);
    }

    [Fact]
    public async Task A_failed_write_of_an_unregistration_keeps_the_device_registered()
    {
        var id = $"dev-{Guid.NewGuid():N}";
        var device = cluster.Client.GetGrain<IDeviceGrain>(id);
        var token = (await device.Register(Sensor, Provisioning)).AuthToken!;

        cluster.Storage.FailNextWrites(id);
        await Assert.ThrowsAsync<PassingFaultException>(() => device.Unregister(new Caller(CallerKind.Anonymous, token)));

        Assert.True(await device.Authenticate(token));
        Assert.True((await device.Unregister(new Caller(CallerKind.Anonymous, token))).IsOk);
    }
}
