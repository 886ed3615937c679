using MQTTnet;
using Orleans.Runtime;

namespace Orleans.IoT.Tests.EndToEnd;

/// <summary>DESIGN §2 "Sessions and replies": who receives a token, whose client id is whose, and what rotation and unregistration do to sessions.</summary>
[Collection(NodeCollection.Name)]
public sealed class SessionTests(NodeFixture node)
{
    private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(700);

    [Fact]
    public async Task A_registration_token_reaches_only_the_registering_session_and_operators()
    {
        var deviceId = $"dev-{Guid.NewGuid():N}";
        var eavesdroppers = await EavesdropAsync(deviceId);
        await using var operatorClient = await node.ConnectOperatorAsync();
        await operatorClient.SubscribeAsync($"iot/devices/{deviceId}/register/response");
        await using var registrant = await node.ConnectAsync();
        await registrant.SubscribeAsync($"iot/devices/{deviceId}/register/response");

        var ack = await registrant.PublishAsync(
            $"iot/devices/register/{deviceId}",
            """{"name":"n","type":"t"}""",
            configure: b => b.WithResponseTopic($"iot/devices/{deviceId}/register/response").WithCorrelationData([1, 2, 3]));

        Assert.True(ack.IsSuccess, ack.ReasonString);
        var token = (await registrant.WaitForJsonAsync($"iot/devices/{deviceId}/register/response")).GetProperty("auth_token").GetString();
        Assert.False(string.IsNullOrEmpty(token));
        Assert.Equal(token, (await operatorClient.WaitForJsonAsync($"iot/devices/{deviceId}/register/response")).GetProperty("auth_token").GetString());
        await AssertNoTokenReachedAsync(eavesdroppers, deviceId);

        // Rotation by the device itself: the new token goes to its session only.
        await using var device = await node.ConnectAsync(deviceId, token);
        await device.SubscribeAsync($"iot/devices/{deviceId}/register/response");
        Assert.True((await device.PublishAsync($"iot/devices/register/{deviceId}", """{"name":"n2","type":"t"}""")).IsSuccess);
        var rotated = (await device.WaitForJsonAsync($"iot/devices/{deviceId}/register/response")).GetProperty("auth_token").GetString();
        Assert.NotEqual(token, rotated);
        await AssertNoTokenReachedAsync(eavesdroppers, deviceId);
        Assert.False(registrant.WasDisconnected);
        foreach (var eavesdropper in eavesdroppers)
        {
            await eavesdropper.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_provisioning_session_may_subscribe_only_to_one_devices_registration_replies()
    {
        await using var client = await node.ConnectAsync();

        Assert.Equal(MqttClientSubscribeResultCode.GrantedQoS1, await client.SubscribeAsync("iot/devices/dev-x/register/+"));
        Assert.Equal(MqttClientSubscribeResultCode.GrantedQoS1, await client.SubscribeAsync("iot/devices/dev-x/register/#"));
        Assert.Equal(MqttClientSubscribeResultCode.NotAuthorized, await client.SubscribeAsync("iot/devices/dev-x/#"));
        Assert.Equal(MqttClientSubscribeResultCode.NotAuthorized, await client.SubscribeAsync("iot/devices/dev-x/errors"));
        Assert.Equal(MqttClientSubscribeResultCode.NotAuthorized, await client.SubscribeAsync("iot/devices/dev-x/unregister/response"));
        Assert.Equal(MqttClientSubscribeResultCode.NotAuthorized, await client.SubscribeAsync("iot/devices/+/register/#"));
    }

    [Fact]
    public async Task A_registered_devices_client_id_is_refused_without_its_credentials_and_the_device_stays_connected()
    {
        var (deviceId, token) = await node.RegisterDeviceAsync();
        await using var device = await node.ConnectAsync(deviceId, token);

        await using var anonymous = await TestMqttClient.ConnectAsync(node.MqttPort, clientId: deviceId, throwOnRefusal: false);
        await using var provisioning = await TestMqttClient.ConnectAsync(node.MqttPort, "provision", "any", clientId: deviceId, throwOnRefusal: false);
        await using var asOperator = await TestMqttClient.ConnectAsync(node.MqttPort, NodeFixture.OperatorName, NodeFixture.OperatorKey, clientId: deviceId, throwOnRefusal: false);
        await using var legacy = await TestMqttClient.ConnectAsync(node.MqttPort, clientId: deviceId, protocol: MQTTnet.Formatter.MqttProtocolVersion.V311, throwOnRefusal: false);

        Assert.Equal(MqttClientConnectResultCode.ClientIdentifierNotValid, anonymous.ConnectResult.ResultCode);
        Assert.Equal(MqttClientConnectResultCode.ClientIdentifierNotValid, provisioning.ConnectResult.ResultCode);
        Assert.Equal(MqttClientConnectResultCode.ClientIdentifierNotValid, asOperator.ConnectResult.ResultCode);
        Assert.NotEqual(MqttClientConnectResultCode.Success, legacy.ConnectResult.ResultCode);
        Assert.True(device.IsConnected);
        Assert.False(device.WasDisconnected);
        Assert.True((await device.PublishAsync($"iot/devices/data/{deviceId}/temperature", """{"value":20}""")).IsSuccess);
    }

    [Fact]
    public async Task A_registered_devices_client_id_is_refused_while_the_device_is_offline_too()
    {
        var (deviceId, _) = await node.RegisterDeviceAsync();

        await using var anonymous = await TestMqttClient.ConnectAsync(node.MqttPort, clientId: deviceId, throwOnRefusal: false);

        Assert.Equal(MqttClientConnectResultCode.ClientIdentifierNotValid, anonymous.ConnectResult.ResultCode);
    }

    [Fact]
    public async Task Connects_racing_on_one_client_id_never_swap_identities()
    {
        for (var round = 0; round < 25; round++)
        {
            var clientId = $"shared id {Guid.NewGuid():N}"; // not a device id: no look-up slows either side
            var operatorConnect = ConnectOrTakenOverAsync(NodeFixture.OperatorName, NodeFixture.OperatorKey, clientId);
            var anonymousConnect = ConnectOrTakenOverAsync(null, null, clientId);
            await using var operatorClient = await operatorConnect;
            await using var anonymous = await anonymousConnect;
            await Task.Delay(50);

            // Whichever connection took the id over keeps its own rights, and only those.
            if (anonymous is { IsConnected: true })
            {
                Assert.Equal(MqttClientSubscribeResultCode.NotAuthorized, await anonymous.SubscribeAsync("#"));
            }

            if (operatorClient is { IsConnected: true })
            {
                Assert.Equal(MqttClientSubscribeResultCode.GrantedQoS1, await operatorClient.SubscribeAsync("#"));
            }
        }
    }

    /// <summary>Connects; null when the other racing CONNECT took the session over before this one's CONNACK arrived.</summary>
    private async Task<TestMqttClient?> ConnectOrTakenOverAsync(string? user, string? password, string clientId)
    {
        try
        {
            return await TestMqttClient.ConnectAsync(node.MqttPort, user, password, clientId: clientId, throwOnRefusal: false);
        }
        catch (MQTTnet.Adapter.MqttConnectingFailedException ex) when (ex.InnerException is MQTTnet.Exceptions.MqttProtocolViolationException)
        {
            return null;
        }
    }

    [Fact]
    public async Task The_session_that_rotates_its_token_carries_on_with_the_new_one()
    {
        var (deviceId, token) = await node.RegisterDeviceAsync();
        await using var device = await node.ConnectAsync(deviceId, token);
        await device.SubscribeAsync($"iot/devices/{deviceId}/register/response");

        Assert.True((await device.PublishAsync($"iot/devices/register/{deviceId}", """{"name":"renamed","type":"t"}""")).IsSuccess);
        var newToken = (await device.WaitForJsonAsync($"iot/devices/{deviceId}/register/response")).GetProperty("auth_token").GetString();

        var ack = await device.PublishAsync($"iot/devices/data/{deviceId}/temperature", """{"value":21}""");
        Assert.True(ack.IsSuccess, ack.ReasonString);
        Assert.True(device.IsConnected);
        await using var withOld = await TestMqttClient.ConnectAsync(node.MqttPort, deviceId, token, throwOnRefusal: false);
        Assert.Equal(MqttClientConnectResultCode.BadUserNameOrPassword, withOld.ConnectResult.ResultCode);
        Assert.True(device.IsConnected, "a refused CONNECT under the device's id does not take its session over");
        Assert.False(device.WasDisconnected);
        Assert.NotNull(newToken);
    }

    [Fact]
    public async Task Rotation_elsewhere_disconnects_the_session_holding_the_old_token()
    {
        var (deviceId, token) = await node.RegisterDeviceAsync();
        await using var device = await node.ConnectAsync(deviceId, token);
        await using var rotator = await node.ConnectAsync();
        await rotator.SubscribeAsync($"iot/devices/{deviceId}/register/response");

        var ack = await rotator.PublishAsync($"iot/devices/register/{deviceId}", $$"""{"name":"n","type":"t","auth_token":"{{token}}"}""");

        Assert.True(ack.IsSuccess, ack.ReasonString);
        var newToken = (await rotator.WaitForJsonAsync($"iot/devices/{deviceId}/register/response")).GetProperty("auth_token").GetString();
        var disconnected = await device.WaitForDisconnectAsync();
        Assert.Equal(MqttClientDisconnectReason.NotAuthorized, disconnected.Reason);
        await using var again = await TestMqttClient.ConnectAsync(node.MqttPort, deviceId, newToken, throwOnRefusal: false);
        Assert.Equal(MqttClientConnectResultCode.Success, again.ConnectResult.ResultCode);
    }

    [Fact]
    public async Task Unregistering_disconnects_the_device_after_its_response_is_delivered()
    {
        var (deviceId, token) = await node.RegisterDeviceAsync();
        await using var device = await node.ConnectAsync(deviceId, token);
        await device.SubscribeAsync($"iot/devices/{deviceId}/unregister/response");

        Assert.True((await device.PublishAsync($"iot/devices/unregister/{deviceId}", "{}")).IsSuccess);

        Assert.Equal("unregistered", (await device.WaitForJsonAsync($"iot/devices/{deviceId}/unregister/response")).GetProperty("status").GetString());
        var disconnected = await device.WaitForDisconnectAsync();
        Assert.Equal(MqttClientDisconnectReason.NotAuthorized, disconnected.Reason);
    }

    [Fact]
    public async Task An_operator_unregistering_a_device_disconnects_it()
    {
        var (deviceId, token) = await node.RegisterDeviceAsync();
        await using var device = await node.ConnectAsync(deviceId, token);
        await using var operatorClient = await node.ConnectOperatorAsync();

        Assert.True((await operatorClient.PublishAsync($"iot/devices/unregister/{deviceId}", "{}")).IsSuccess);

        Assert.Equal(MqttClientDisconnectReason.NotAuthorized, (await device.WaitForDisconnectAsync()).Reason);
        Assert.True(operatorClient.IsConnected);
    }

    [Fact]
    public async Task Messages_without_any_credential_are_refused_without_waking_the_device_grain()
    {
        var deviceId = $"dev-{Guid.NewGuid():N}";
        await using var anonymous = await node.ConnectAsync();

        var data = await anonymous.PublishAsync($"iot/devices/data/{deviceId}/temperature", """{"value":1}""");
        var heartbeat = await anonymous.PublishAsync($"iot/devices/heartbeat/{deviceId}", "{}");
        var unregister = await anonymous.PublishAsync($"iot/devices/unregister/{deviceId}", "{}");

        Assert.All([data, heartbeat, unregister], ack =>
        {
            Assert.Equal(MqttClientPublishReasonCode.NotAuthorized, ack.ReasonCode);
            Assert.StartsWith("unauthorized", ack.ReasonString);
        });
        Assert.False(await IsActiveAsync(deviceId));
    }

    [Fact]
    public async Task A_connect_under_a_random_client_id_leaves_no_device_grain_behind()
    {
        var clientId = $"random-{Guid.NewGuid():N}";

        await using (var client = await TestMqttClient.ConnectAsync(node.MqttPort, clientId: clientId))
        {
            Assert.True(client.IsConnected);
        }

        Assert.True(await LeavesMemoryAsync(clientId), "the look-up's grain leaves memory once idle");
    }

    [Fact]
    public async Task A_made_up_token_for_a_random_device_leaves_no_device_grain_behind()
    {
        var deviceId = $"dev-{Guid.NewGuid():N}";
        await using var anonymous = await node.ConnectAsync();

        var ack = await anonymous.PublishAsync($"iot/devices/data/{deviceId}/temperature", """{"value":1,"auth_token":"made-up"}""");

        Assert.StartsWith("not_registered", ack.ReasonString);
        Assert.True(await LeavesMemoryAsync(deviceId), "an unregistered device's grain leaves memory once idle");
    }

    private async Task<bool> LeavesMemoryAsync(string deviceId)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(5);
        while (await IsActiveAsync(deviceId) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        return !await IsActiveAsync(deviceId);
    }

    private async Task<bool> IsActiveAsync(string deviceId)
    {
        var grainId = ((GrainReference)node.Grains.GetGrain<IDeviceGrain>(deviceId)).GrainId;
        var active = await node.Grains.GetGrain<IManagementGrain>(0).GetActiveGrains(grainId.Type);
        return active.Contains(grainId);
    }

    /// <summary>Anonymous sessions holding every filter a provisioning session may hold for the device.</summary>
    private async Task<TestMqttClient[]> EavesdropAsync(string deviceId)
    {
        var clients = new List<TestMqttClient>();
        foreach (var filter in new[] { "register/response", "register/+", "register/#" })
        {
            var client = await node.ConnectAsync();
            Assert.Equal(MqttClientSubscribeResultCode.GrantedQoS1, await client.SubscribeAsync($"iot/devices/{deviceId}/{filter}"));
            clients.Add(client);
        }

        return [.. clients];
    }

    private static async Task AssertNoTokenReachedAsync(IEnumerable<TestMqttClient> eavesdroppers, string deviceId)
    {
        foreach (var eavesdropper in eavesdroppers)
        {
            await eavesdropper.AssertNothingOnAsync($"iot/devices/{deviceId}/register/response", Quiet);
        }
    }
}
