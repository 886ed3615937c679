namespace Orleans.IoT.Tests.Grains;

/// <summary>The device grain's side of client certificates: a gateway-verified certificate acts for its own device only.</summary>
[Collection(ClusterCollection.Name)]
public sealed class CertifiedDeviceTests(ClusterFixture fixture)
{
    private static readonly RegisterRequest Sensor = new("Sensor", "thermometer", "1.0.0", null, null, ["temperature"]);

    private static string NewDeviceId() => $"dev-{Guid.NewGuid():N}";

    private IDeviceGrain Device(string id) => fixture.Client.GetGrain<IDeviceGrain>(id);

    [Fact]
    public async Task A_certified_device_registers_itself_re_registers_without_its_token_and_reports()
    {
        var id = NewDeviceId();
        var certified = Caller.CertifiedDevice(id);

        var registered = await Device(id).Register(Sensor, certified);
        var renewed = await Device(id).Register(Sensor with { FirmwareVersion = "1.1.0" }, certified);
        var reading = await Device(id).RecordReading(new SensorReading(id, "temperature", 20, "C", 1694678400, "good"), certified);

        Assert.True(registered.Result.IsOk, registered.Result.Message);
        Assert.True(renewed.Result.IsOk, renewed.Result.Message);
        Assert.NotEqual(registered.AuthToken, renewed.AuthToken);
        Assert.True(reading.IsOk, reading.Message);
        Assert.Equal("1.1.0", (await Device(id).GetSnapshot()).FirmwareVersion);
    }

    [Fact]
    public async Task A_certificate_for_another_device_is_refused_like_a_wrong_token()
    {
        var id = NewDeviceId();
        var other = Caller.CertifiedDevice(NewDeviceId());

        var registerNew = await Device(id).Register(Sensor, other);
        Assert.Equal(ErrorCodes.Unauthorized, registerNew.Result.ErrorCode);
        Assert.True((await Device(id).Register(Sensor, Caller.CertifiedDevice(id))).Result.IsOk);

        var renew = await Device(id).Register(Sensor with { Name = "Impostor" }, other);
        var reading = await Device(id).RecordReading(new SensorReading(id, "temperature", 20, "C", 1694678400, "good"), other);
        var unregister = await Device(id).Unregister(other);

        Assert.Equal(ErrorCodes.AlreadyRegistered, renew.Result.ErrorCode);
        Assert.Equal(ErrorCodes.Unauthorized, reading.ErrorCode);
        Assert.Equal(ErrorCodes.Unauthorized, unregister.ErrorCode);
        var snapshot = await Device(id).GetSnapshot();
        Assert.Equal("Sensor", snapshot.Name);
        Assert.True(snapshot.Registered);
        Assert.Empty(fixture.History.Read(id, "temperature"));
    }

    [Fact]
    public async Task Only_a_device_session_carries_a_certificate()
    {
        var id = NewDeviceId();
        Assert.True((await Device(id).Register(Sensor, Caller.CertifiedDevice(id))).Result.IsOk);

        var anonymous = await Device(id).RecordReading(new SensorReading(id, "temperature", 20, "C", 1694678400, "good"), new Caller(CallerKind.Anonymous, Name: id, ByCertificate: true));

        Assert.Equal(ErrorCodes.Unauthorized, anonymous.ErrorCode);
    }
}
