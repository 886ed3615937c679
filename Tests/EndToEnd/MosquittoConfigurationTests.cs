using MQTTnet;
using MQTTnet.Protocol;

namespace Orleans.IoT.Tests.EndToEnd;

/// <summary>What the gateway relies on in the shipped Mosquitto configuration.</summary>
public sealed class MosquittoConfigurationTests
{
    [Fact]
    public async Task The_broker_has_no_more_unacknowledged_messages_out_to_a_client_than_its_receive_maximum()
    {
        await using var broker = await MosquittoBroker.StartAsync((NodeFixture.OperatorName, NodeFixture.OperatorKey));
        using var subscriber = new MqttClientFactory().CreateMqttClient();
        var received = 0;
        subscriber.ApplicationMessageReceivedAsync += e =>
        {
            e.AutoAcknowledge = false; // never acknowledged, as while the gateway is handling them
            Interlocked.Increment(ref received);
            return Task.CompletedTask;
        };
        await subscriber.ConnectAsync(new MqttClientOptionsBuilder()
            .WithTcpServer("127.0.0.1", broker.Port)
            .WithCredentials(NodeFixture.OperatorName, NodeFixture.OperatorKey)
            .WithClientId($"bounded-{Guid.NewGuid():N}")
            .WithReceiveMaximum(3)
            .Build());
        await subscriber.SubscribeAsync(new MqttClientSubscribeOptionsBuilder().WithTopicFilter("bounded/#", MqttQualityOfServiceLevel.AtLeastOnce).Build());
        await using var publisher = await TestMqttClient.ConnectAsync(broker.Port, NodeFixture.OperatorName, NodeFixture.OperatorKey, $"publisher-{Guid.NewGuid():N}");

        for (var i = 0; i < 30; i++)
        {
            Assert.True((await publisher.PublishAsync($"bounded/{i}", "{}")).IsSuccess);
        }

        await Eventually.TrueAsync(() => Volatile.Read(ref received) >= 3, "the first messages arrive");
        await Task.Delay(500);
        Assert.Equal(3, Volatile.Read(ref received));
    }
}
