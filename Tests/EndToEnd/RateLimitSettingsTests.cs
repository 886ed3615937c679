using Microsoft.Extensions.Options;
using Orleans.IoT.Silo;

namespace Orleans.IoT.Tests.EndToEnd;

/// <summary>The rate limits' settings are checked at start-up.</summary>
public sealed class RateLimitSettingsTests
{
    [Theory]
    [InlineData("--RateLimit:MaxRegistrationsPerDevice=0", "MaxRegistrationsPerDevice")]
    [InlineData("--RateLimit:MaxRegistrationsPerClient=0", "MaxRegistrationsPerClient")]
    [InlineData("--RateLimit:MaxErrorPublicationsPerDevice=0", "MaxErrorPublicationsPerDevice")]
    [InlineData("--RateLimit:MaxFailedOperatorKeysPerAddress=0", "MaxFailedOperatorKeysPerAddress")]
    [InlineData("--RateLimit:WindowSeconds=0", "WindowSeconds")]
    public async Task A_bad_value_stops_start_up_naming_the_setting(string argument, string name)
    {
        await using var app = await IoTNode.BuildAsync(
        [
            argument, $"--Mqtt:Port={NodeFixture.FreePort()}", "--Mqtt:BindAddress=127.0.0.1", $"--Orleans:SiloPort={NodeFixture.FreePort()}",
            $"--Orleans:GatewayPort={NodeFixture.FreePort()}", $"--Urls=http://127.0.0.1:{NodeFixture.FreePort()}", "--Logging:LogLevel:Default=None",
        ]);

        var refused = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync());

        Assert.Contains(name, refused.Message);
    }
}
