using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using MQTTnet;
using Orleans.IoT.Gateway.Cluster;
using Orleans.IoT.Gateway.Transport;
using Orleans.IoT.Silo.Adapters.Memory;

namespace Orleans.IoT.Tests.EndToEnd;

/// <summary>
/// <c>Mqtt:Mode=External</c> against a real Mosquitto with the shipped configuration and ACL: devices and operators are
/// the broker's clients, the gateway takes every route through its shared subscription.
/// </summary>
[Collection(ExternalNodeCollection.Name)]
public sealed class ExternalBrokerTests(ExternalNodeFixture node)
{
    private InMemorySensorHistory History => node.Services.GetRequiredService<InMemorySensorHistory>();

    [Fact]
    public async Task A_registration_token_reaches_the_registering_device_and_no_other()
    {
        var otherId = $"dev-{Guid.NewGuid():N}";
        await using var other = await ExternalNodeFixture.ConnectNewDeviceAsync(node.Broker, otherId);
        var (deviceId, device, token) = await node.RegisterExternalDeviceAsync();
        await using var _ = device;

        // Mosquitto grants the subscription but its ACL delivers nothing on another device's subtree.
        await other.SubscribeAsync($"iot/devices/{deviceId}/#");
        var again = await device.PublishAsync($"iot/devices/register/{deviceId}", $$"""{"name":"n","type":"t","auth_token":"{{token}}"}""");
        Assert.True(again.IsSuccess);
        Assert.Equal("registered", (await device.WaitForJsonAsync($"iot/devices/{deviceId}/register/response")).GetProperty("status").GetString());
        await other.AssertNothingOnAsync($"iot/devices/{deviceId}/register/response", TimeSpan.FromSeconds(1));
        Assert.True((await node.Grains.GetGrain<IDeviceGrain>(deviceId).GetSnapshot()).Registered);
    }

    [Fact]
    public async Task Readings_carrying_the_token_in_the_payload_or_a_user_property_are_stored_once()
    {
        var (deviceId, device, token) = await node.RegisterExternalDeviceAsync();
        await using var _ = device;

        var inPayload = await device.PublishAsync($"iot/devices/data/{deviceId}/temperature", $$"""{"value":21.5,"timestamp":1700000000,"auth_token":"{{token}}"}""");
        var inProperty = await device.PublishAsync(
            $"iot/devices/data/{deviceId}/temperature",
            """{"value":22.5,"timestamp":1700000001}""",
            configure: b => b.WithUserProperty("auth_token", Encoding.UTF8.GetBytes(token)));

        Assert.True(inPayload.IsSuccess && inProperty.IsSuccess, "the broker acknowledges the device's QoS 1 publishes");
        await Eventually.TrueAsync(() => History.Read(deviceId, "temperature").Count == 2, "both readings stored");
        await Task.Delay(500);
        Assert.Equal([21.5, 22.5], History.Read(deviceId, "temperature").Select(r => r.Value).Order());
    }

    [Fact]
    public async Task A_refused_message_is_acknowledged_to_the_broker_and_reported_once()
    {
        var (deviceId, device, _) = await node.RegisterExternalDeviceAsync();
        await using var __ = device;

        await device.PublishAsync($"iot/devices/data/{deviceId}/temperature", """{"value":21.5,"auth_token":"not-its-token"}""");
        await device.PublishAsync($"iot/devices/data/{deviceId}/temperature", "{not json");

        var first = await device.WaitForJsonAsync($"iot/devices/{deviceId}/errors");
        var second = await device.WaitForJsonAsync($"iot/devices/{deviceId}/errors");
        Assert.Equal(["invalid_json", "unauthorized"], new[] { first, second }.Select(e => e.GetProperty("code").GetString()).Order());

        // Acknowledged, so the broker does not send them again: no further error, nothing stored.
        await device.AssertNothingOnAsync($"iot/devices/{deviceId}/errors", TimeSpan.FromSeconds(2));
        Assert.Empty(History.Read(deviceId, "temperature"));
    }

    [Fact]
    public async Task A_device_may_not_publish_on_another_devices_routes()
    {
        var (victimId, victim, _) = await node.RegisterExternalDeviceAsync();
        await using var _ = victim;
        var intruderId = $"dev-{Guid.NewGuid():N}";
        await using var intruder = await ExternalNodeFixture.ConnectNewDeviceAsync(node.Broker, intruderId);

        var ack = await intruder.PublishAsync($"iot/devices/data/{victimId}/temperature", """{"value":1}""");

        Assert.Equal(MqttClientPublishReasonCode.NotAuthorized, ack.ReasonCode);
    }

    [Fact]
    public async Task An_operator_command_reaches_the_device_and_its_id_the_operator()
    {
        var (deviceId, device, _) = await node.RegisterExternalDeviceAsync();
        await using var _ = device;
        await using var operatorClient = await node.ConnectOperatorAsync();
        var replies = $"ops/replies/{Guid.NewGuid():N}";
        await operatorClient.SubscribeAsync(replies);

        var ack = await operatorClient.PublishAsync(
            $"iot/devices/control/{deviceId}/command",
            """{"command":"reboot","parameters":{"delay":5}}""",
            qos: 2,
            configure: b => b.WithUserProperty("auth_token", Encoding.UTF8.GetBytes(NodeFixture.OperatorKey)).WithResponseTopic(replies).WithCorrelationData([4, 2]));

        Assert.True(ack.IsSuccess, $"{ack.ReasonCode} {ack.ReasonString}");
        var reply = await operatorClient.WaitForAsync(replies);
        Assert.Equal([4, 2], reply.CorrelationData);
        var commandId = JsonDocument.Parse(reply.ConvertPayloadToString()).RootElement.GetProperty("command_id").GetString();
        var command = await device.WaitForJsonAsync($"iot/devices/{deviceId}/commands/{commandId}");
        Assert.Equal("reboot", command.GetProperty("command").GetString());
    }

    [Fact]
    public async Task The_gateway_is_ready_only_while_subscribed_and_after_the_broker_restarts_it_reconnects_and_resubscribes()
    {
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{node.HttpPort}"), Timeout = TimeSpan.FromSeconds(15) };
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/health/ready")).StatusCode);
        await WaitForDirectoryInterestAsync(FleetInterest.All);
        var readiness = node.Services.GetRequiredService<IBrokerReadiness>();
        var (deviceId, device, token) = await node.RegisterExternalDeviceAsync();
        await device.DisposeAsync();

        await node.Broker.StopAsync();
        try
        {
            await Eventually.TrueAsync(() => readiness.NotReadyReason is not null, "the gateway sees the broker gone");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, (await http.GetAsync("/health/ready")).StatusCode);
            // Away from its broker it reaches no subscriber: the cluster sends fleet events through another gateway of the broker.
            await WaitForDirectoryInterestAsync(FleetInterest.None);
        }
        finally
        {
            await node.Broker.StartAgainAsync();
        }

        await Eventually.TrueAsync(() => readiness.NotReadyReason is null, "the gateway is connected and subscribed again");
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/health/ready")).StatusCode);
        await WaitForDirectoryInterestAsync(FleetInterest.All);
        await using var again = await TestMqttClient.ConnectAsync(node.Broker.Port, deviceId, $"broker-{deviceId}");
        var ack = await again.PublishAsync($"iot/devices/data/{deviceId}/humidity", $$"""{"value":40,"auth_token":"{{token}}"}""");
        Assert.True(ack.IsSuccess);
        await Eventually.TrueAsync(() => History.Read(deviceId, "humidity").Count == 1, "the reading is stored");
    }

    /// <summary>Until this node's gateway is in the gateway directory with <paramref name="interest"/>.</summary>
    private async Task WaitForDirectoryInterestAsync(FleetInterest interest)
    {
        var gatewayId = node.Services.GetRequiredService<GatewayIdentity>().Id;
        var directory = node.Grains.GetGrain<IGatewayDirectoryGrain>(IGatewayDirectoryGrain.Key);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while ((await directory.GetGateways()).FirstOrDefault(g => g.Id == gatewayId)?.Interest != interest)
        {
            Assert.True(DateTime.UtcNow < deadline, $"the gateway registered with interest {interest}");
            await Task.Delay(100);
        }
    }
}
