using Microsoft.Extensions.Options;
using Orleans.IoT.Silo;
using Orleans.IoT.Tests.EndToEnd;

namespace Orleans.IoT.Tests.Api;

/// <summary>The event streams' settings are checked at start-up.</summary>
public sealed class LiveStreamSettingsTests
{
    [Theory]
    [InlineData("--Console:MaxStreams=0", "Console:MaxStreams")]
    [InlineData("--Console:MaxStreamsPerOperator=0", "Console:MaxStreamsPerOperator")]
    [InlineData("--Console:StreamQueueEvents=0", "Console:StreamQueueEvents")]
    [InlineData("--Console:HeartbeatSeconds=0", "Console:HeartbeatSeconds")]
    [InlineData("--Console:ReconnectMilliseconds=10", "Console:ReconnectMilliseconds")]
    public async Task A_bad_value_stops_start_up_naming_the_key(string argument, string key)
    {
        await using var app = await IoTNode.BuildAsync(
        [
            argument, $"--Mqtt:Port={NodeFixture.FreePort()}", "--Mqtt:BindAddress=127.0.0.1", $"--Orleans:SiloPort={NodeFixture.FreePort()}",
            $"--Orleans:GatewayPort={NodeFixture.FreePort()}", $"--Urls=http://127.0.0.1:{NodeFixture.FreePort()}", "--Logging:LogLevel:Default=None",
        ]);

        var refused = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync());

        Assert.Contains(key, refused.Message);
    }
}
