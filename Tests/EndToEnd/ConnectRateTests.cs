using MQTTnet;
using Orleans.IoT.Gateway.Configuration;

namespace Orleans.IoT.Tests.EndToEnd;

/// <summary>Mqtt:MaxConnectsPerClientId per Mqtt:ConnectWindowSeconds, at their defaults (30 per 60 s).</summary>
[Collection(NodeCollection.Name)]
public sealed class ConnectRateTests(NodeFixture node)
{
    [Fact]
    public async Task Connects_over_the_limit_for_one_client_id_are_refused_and_other_ids_are_not()
    {
        var limit = new MqttOptions().MaxConnectsPerClientId;
        var clientId = $"rate-{Guid.NewGuid():N}";
        for (var i = 0; i < limit; i++)
        {
            await using var client = await node.ConnectAsync(clientId: clientId);
        }

        await using var refused = await TestMqttClient.ConnectAsync(node.MqttPort, clientId: clientId, throwOnRefusal: false);
        await using var refusedWithCredentials = await TestMqttClient.ConnectAsync(node.MqttPort, NodeFixture.OperatorName, NodeFixture.OperatorKey, clientId, throwOnRefusal: false);
        await using var other = await TestMqttClient.ConnectAsync(node.MqttPort, clientId: $"rate-{Guid.NewGuid():N}", throwOnRefusal: false);

        Assert.Equal(MqttClientConnectResultCode.ConnectionRateExceeded, refused.ConnectResult.ResultCode);
        Assert.Equal(MqttClientConnectResultCode.ConnectionRateExceeded, refusedWithCredentials.ConnectResult.ResultCode);
        Assert.Equal(MqttClientConnectResultCode.Success, other.ConnectResult.ResultCode);
    }
}
