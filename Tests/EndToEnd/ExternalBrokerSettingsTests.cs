using Microsoft.Extensions.Options;
using Orleans.IoT.Gateway.Configuration;
using Orleans.IoT.Silo;

namespace Orleans.IoT.Tests.EndToEnd;

/// <summary>The <c>Mqtt:External:*</c> settings: DESIGN §6's defaults, and settings that stop start-up naming their key.</summary>
public sealed class ExternalBrokerSettingsTests
{
    [Fact]
    public void The_defaults_are_those_of_the_design()
    {
        var options = new MqttExternalOptions();

        Assert.Equal(("localhost", 1883, "orleans-iot"), (options.Host, options.Port, options.SharedGroup));
        Assert.Equal($"orleans-iot-gateway-{Environment.MachineName}", options.EffectiveClientId);
    }

    [Theory]
    [InlineData("--Mqtt:Mode=Cloud", "Mqtt:Mode")]
    [InlineData("--Mqtt:External:SharedGroup=a/b", "Mqtt:External:SharedGroup")]
    [InlineData("--Mqtt:External:Port=0", "Mqtt:External:Port")]
    [InlineData("--Mqtt:External:MaxInFlight=0", "Mqtt:External:MaxInFlight")]
    [InlineData("--Mqtt:External:ClientId=a b", "Mqtt:External:ClientId")]
    [InlineData("--Mqtt:External:Password=secret-password", "Mqtt:External:Username")]
    [InlineData("--Mqtt:External:MaxReconnectDelaySeconds=0.5", "Mqtt:External:MaxReconnectDelaySeconds")]
    public async Task A_setting_that_cannot_work_stops_start_up_naming_its_key(string setting, string named)
    {
        await using var app = await IoTNode.BuildAsync(
        [
            "--Mqtt:Mode=External", setting, $"--Orleans:SiloPort={NodeFixture.FreePort()}", $"--Orleans:GatewayPort={NodeFixture.FreePort()}",
            $"--Urls=http://127.0.0.1:{NodeFixture.FreePort()}", "--Logging:LogLevel:Default=None",
        ]);

        var refused = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync());

        Assert.Contains(named, refused.Message);
        Assert.DoesNotContain("secret-password", refused.Message);
    }
}
