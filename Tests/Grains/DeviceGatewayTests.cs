namespace Orleans.IoT.Tests.Grains;

/// <summary>The device grain's memory of the gateway holding its device's connection (DESIGN §1 "Messages to a device find its gateway").</summary>
[Collection(ClusterCollection.Name)]
public sealed class DeviceGatewayTests(ClusterFixture cluster)
{
    private static readonly Caller Operator = Caller.Operator("ops");

    [Fact]
    public async Task A_device_is_sent_its_messages_through_the_gateway_it_was_last_heard_through()
    {
        var (device, id, token) = await cluster.RegisterDeviceAsync();

        Assert.True((await device.Heartbeat(DeviceMetrics.None, Caller.Device(id, token, "gateway-a"))).IsOk);
        await device.SendCommand(new CommandRequest("c1", "reboot", null, 60), Operator with { Gateway = "gateway-b" });
        Assert.True((await device.Heartbeat(DeviceMetrics.None, new Caller(CallerKind.Anonymous, token, Gateway: "gateway-c"))).IsOk);
        await device.SendCommand(new CommandRequest("c2", "reboot", null, 60), Operator);

        Assert.Equal(
            [("c1", "gateway-a"), ("c2", "gateway-c")],
            cluster.Events.Of<SentCommand>(s => s.Command.DeviceId == id).Select(s => (s.Command.CommandId, s.Gateway)).ToList());
    }

    [Fact]
    public async Task A_refused_caller_does_not_move_the_device_to_its_gateway()
    {
        var (device, id, token) = await cluster.RegisterDeviceAsync();
        Assert.True((await device.Heartbeat(DeviceMetrics.None, Caller.Device(id, token, "gateway-a"))).IsOk);

        Assert.False((await device.Heartbeat(DeviceMetrics.None, new Caller(CallerKind.Anonymous, "not-its-token", Gateway: "gateway-x"))).IsOk);
        await device.SendCommand(new CommandRequest("c1", "reboot", null, 60), Operator);

        Assert.Equal("gateway-a", Assert.Single(cluster.Events.Of<SentCommand>(s => s.Command.DeviceId == id)).Gateway);
    }

    [Fact]
    public async Task The_gateway_is_forgotten_when_its_connection_closes_and_not_when_another_gateway_s_does()
    {
        var (device, id, token) = await cluster.RegisterDeviceAsync();
        Assert.True((await device.Heartbeat(DeviceMetrics.None, Caller.Device(id, token, "gateway-a"))).IsOk);

        await device.ConnectionClosed(clean: true, Now(), "gateway-b");
        Assert.True((await device.Heartbeat(DeviceMetrics.None, Caller.Device(id, token, "gateway-a"))).IsOk);
        await device.SendCommand(new CommandRequest("c1", "reboot", null, 60), Operator);
        await device.ConnectionClosed(clean: true, Now() + 1, "gateway-a");
        Assert.True((await device.Heartbeat(DeviceMetrics.None, Caller.Device(id, token))).IsOk); // heard from by a caller with no gateway
        await device.SendCommand(new CommandRequest("c2", "reboot", null, 60), Operator);

        Assert.Equal(
            [("c1", "gateway-a"), ("c2", (string?)null)],
            cluster.Events.Of<SentCommand>(s => s.Command.DeviceId == id).Select(s => (s.Command.CommandId, s.Gateway)).ToList());
    }

    private static double Now() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0;
}
