namespace Orleans.IoT.Tests.Grains;

[Collection(ClusterCollection.Name)]
public sealed class DeviceGrainTests(ClusterFixture fixture)
{
    private static readonly RegisterRequest Sensor = new("Temperature Sensor 001", "temperature_sensor", "1.2.3", "2.1", "Building A", ["temperature"]);
    private static readonly Caller Provisioning = new(CallerKind.Provisioning, null);

    private static string NewDeviceId() => $"dev-{Guid.NewGuid():N}";

    private IDeviceGrain Device(string id) => fixture.Client.GetGrain<IDeviceGrain>(id);

    private async Task<(IDeviceGrain Grain, string Token)> RegisteredDevice()
    {
        var id = NewDeviceId();
        var result = await Device(id).Register(Sensor, Provisioning);
        Assert.True(result.Result.IsOk, result.Result.Message);
        return (Device(id), result.AuthToken!);
    }

    private static Caller WithToken(string? token) => new(CallerKind.Anonymous, token);

    [Fact]
    public async Task Registration_issues_a_fresh_token_and_records_the_device()
    {
        var id = NewDeviceId();
        var result = await Device(id).Register(Sensor, Provisioning);

        Assert.True(result.Result.IsOk);
        Assert.NotNull(result.AuthToken);
        Assert.True(result.AuthToken!.Length >= 22, "a token carries at least 128 bits");
        Assert.True(await Device(id).Authenticate(result.AuthToken));
        Assert.False(await Device(id).Authenticate(result.AuthToken + "x"));

        var snapshot = await Device(id).GetSnapshot();
        Assert.True(snapshot.Registered);
        Assert.Equal("Temperature Sensor 001", snapshot.Name);
        Assert.Equal("temperature_sensor", snapshot.Type);
        Assert.Equal(["temperature"], snapshot.Capabilities);
        Assert.Equal("online", snapshot.Presence);

        var entry = fixture.Catalog.Find(id);
        Assert.NotNull(entry);
        Assert.True(entry!.Active);
        Assert.Equal("1.2.3", entry.FirmwareVersion);
    }

    [Fact]
    public async Task Registering_a_new_device_needs_a_provisioning_right()
    {
        var id = NewDeviceId();
        var result = await Device(id).Register(Sensor, WithToken(null));

        Assert.Equal(ErrorCodes.Unauthorized, result.Result.ErrorCode);
        Assert.False((await Device(id).GetSnapshot()).Registered);
    }

    [Fact]
    public async Task Re_registering_needs_the_current_token_or_an_operator_and_rotates_the_token()
    {
        var (device, token) = await RegisteredDevice();

        var refused = await device.Register(Sensor with { Name = "Impostor" }, Provisioning);
        Assert.Equal(ErrorCodes.AlreadyRegistered, refused.Result.ErrorCode);
        Assert.Equal("Temperature Sensor 001", (await device.GetSnapshot()).Name);

        var renewed = await device.Register(Sensor with { FirmwareVersion = "1.3.0" }, WithToken(token));
        Assert.True(renewed.Result.IsOk);
        Assert.NotEqual(token, renewed.AuthToken);
        Assert.False(await device.Authenticate(token));
        Assert.True(await device.Authenticate(renewed.AuthToken!));
        Assert.Equal("1.3.0", (await device.GetSnapshot()).FirmwareVersion);

        var byOperator = await device.Register(Sensor, Caller.Operator("ops"));
        Assert.True(byOperator.Result.IsOk);
        Assert.False(await device.Authenticate(renewed.AuthToken!));
    }

    [Fact]
    public async Task Unregistering_needs_the_token_and_revokes_it()
    {
        var (device, token) = await RegisteredDevice();

        Assert.Equal(ErrorCodes.Unauthorized, (await device.Unregister(WithToken(null))).ErrorCode);
        Assert.Equal(ErrorCodes.Unauthorized, (await device.Unregister(WithToken("not-the-token"))).ErrorCode);
        Assert.True((await device.GetSnapshot()).Registered);

        Assert.True((await device.Unregister(WithToken(token))).IsOk);
        Assert.False(await device.Authenticate(token));
        Assert.Equal(ErrorCodes.NotRegistered, (await device.Heartbeat(DeviceMetrics.None, WithToken(token))).ErrorCode);
        Assert.Equal("unregistered", (await device.GetSnapshot()).Presence);
        Assert.False(fixture.Catalog.Find(device.GetPrimaryKeyString())!.Active);
    }

    [Fact]
    public async Task A_reading_is_stored_kept_as_latest_and_published()
    {
        var (device, token) = await RegisteredDevice();
        var id = device.GetPrimaryKeyString();

        var result = await device.RecordReading(new SensorReading(id, "temperature", 23.5, "celsius", 1694678400, "good"), WithToken(token));

        Assert.True(result.IsOk, result.Message);
        var stored = Assert.Single(fixture.History.Read(id, "temperature"));
        Assert.Equal(new SensorReading(id, "temperature", 23.5, "celsius", 1694678400, "good"), stored);
        Assert.Equal(stored, (await device.GetSnapshot()).Latest["temperature"]);
        Assert.Single(fixture.Events.Of<SensorReading>(r => r.DeviceId == id));
    }

    [Fact]
    public async Task A_reading_that_names_another_device_is_stored_under_this_one()
    {
        var (device, token) = await RegisteredDevice();
        var id = device.GetPrimaryKeyString();

        var result = await device.RecordReading(new SensorReading("someone-else", "pressure", 1013, "hPa", 1694678400, "good"), WithToken(token));

        Assert.True(result.IsOk, result.Message);
        Assert.Equal(id, Assert.Single(fixture.History.Read(id, "pressure")).DeviceId);
        Assert.Empty(fixture.History.Read("someone-else", "pressure"));
    }

    [Fact]
    public async Task A_reading_resent_with_the_same_timestamp_is_stored_once()
    {
        var (device, token) = await RegisteredDevice();
        var id = device.GetPrimaryKeyString();
        var reading = new SensorReading(id, "humidity", 40, "%", 1694678400, "good");

        await device.RecordReading(reading, WithToken(token));
        await device.RecordReading(reading, WithToken(token));
        await device.RecordReading(reading with { Timestamp = 1694678401 }, WithToken(token));

        Assert.Equal([1694678400d, 1694678401d], fixture.History.Read(id, "humidity").Select(r => r.Timestamp));
    }

    [Fact]
    public async Task Readings_with_a_wrong_token_or_from_unknown_devices_are_refused_and_not_stored()
    {
        var (device, _) = await RegisteredDevice();
        var id = device.GetPrimaryKeyString();
        var unknown = NewDeviceId();

        var wrongToken = await device.RecordReading(new SensorReading(id, "temperature", 1, null, 1, "good"), WithToken("guess"));
        var notRegistered = await Device(unknown).RecordReading(new SensorReading(unknown, "temperature", 1, null, 1, "good"), WithToken("guess"));

        Assert.Equal(ErrorCodes.Unauthorized, wrongToken.ErrorCode);
        Assert.Equal(ErrorCodes.NotRegistered, notRegistered.ErrorCode);
        Assert.Empty(fixture.History.Read(id, "temperature"));
        Assert.Empty(fixture.History.Read(unknown, "temperature"));
    }

    [Fact]
    public async Task Heartbeats_merge_metrics()
    {
        var (device, token) = await RegisteredDevice();

        await device.Heartbeat(new DeviceMetrics(80, -60, null, null), WithToken(token));
        await device.Heartbeat(new DeviceMetrics(null, null, 45, 12), WithToken(token));

        Assert.Equal(new DeviceMetrics(80, -60, 45, 12), (await device.GetSnapshot()).Metrics);
    }

    [Fact]
    public async Task Status_reports_are_kept_with_their_extra_fields()
    {
        var (device, token) = await RegisteredDevice();

        Assert.True((await device.ReportStatus(new StatusReport("maintenance", """{"eta":30}"""), WithToken(token))).IsOk);

        var snapshot = await device.GetSnapshot();
        Assert.Equal("maintenance", snapshot.Status);
        Assert.Equal("""{"eta":30}""", snapshot.StatusExtraJson);
    }

    [Fact]
    public async Task Messages_over_the_rate_limit_are_refused_with_a_retry_after()
    {
        var (device, token) = await RegisteredDevice();

        for (var i = 0; i < ClusterFixture.RateLimit; i++)
        {
            Assert.True((await device.Heartbeat(DeviceMetrics.None, WithToken(token))).IsOk);
        }

        var refused = await device.Heartbeat(DeviceMetrics.None, WithToken(token));
        Assert.Equal(ErrorCodes.RateLimited, refused.ErrorCode);
        Assert.InRange(refused.RetryAfterSeconds!.Value, 1, 60);
    }

    [Fact]
    public async Task A_device_goes_online_when_heard_from_and_offline_when_silent()
    {
        var (device, _) = await RegisteredDevice();
        var id = device.GetPrimaryKeyString();
        Assert.Single(fixture.Events.Of<Orleans.IoT.PresenceChange>(p => p.DeviceId == id && p.Online));

        var deadline = DateTime.UtcNow.AddSeconds(ClusterFixture.OfflineAfterSeconds + 5);
        while (fixture.Events.Of<Orleans.IoT.PresenceChange>(p => p.DeviceId == id && !p.Online).Count == 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        var offline = Assert.Single(fixture.Events.Of<Orleans.IoT.PresenceChange>(p => p.DeviceId == id && !p.Online));
        Assert.Equal("timeout", offline.Reason);
        Assert.Equal("offline", (await device.GetSnapshot()).Presence);
    }

    [Fact]
    public async Task Devices_online_counts_a_device_while_it_is_online_in_whichever_activation_holds_it()
    {
        // Devices of the earlier tests fall silent within OfflineAfterSeconds: start from none online.
        await WaitForDevicesOnline(0);
        var (device, token) = await RegisteredDevice();
        Assert.Equal(1, fixture.Presence.Online);

        await device.Cast<Orleans.Core.Internal.IGrainManagementExtension>().DeactivateOnIdle();
        await WaitForDevicesOnline(0);
        Assert.Equal("online", (await device.GetSnapshot()).Presence); // a new activation, counted again
        Assert.Equal(1, fixture.Presence.Online);

        await WaitForDevicesOnline(0); // silent: offline
        Assert.True((await device.Heartbeat(DeviceMetrics.None, WithToken(token))).IsOk);
        Assert.Equal(1, fixture.Presence.Online);
        Assert.True((await device.Unregister(WithToken(token))).IsOk);
        Assert.Equal(0, fixture.Presence.Online);
    }

    private async Task WaitForDevicesOnline(long expected)
    {
        var deadline = DateTime.UtcNow.AddSeconds(ClusterFixture.OfflineAfterSeconds + 5);
        while (fixture.Presence.Online != expected && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        Assert.Equal(expected, fixture.Presence.Online);
    }
}
