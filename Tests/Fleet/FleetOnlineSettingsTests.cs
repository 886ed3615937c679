using Orleans.IoT.Gateway.Configuration;
using Orleans.IoT.Silo;

namespace Orleans.IoT.Tests.Fleet;

/// <summary><c>FleetOnline:RetentionMinutes</c> is checked at start-up, and a bad value is named.</summary>
public sealed class FleetOnlineSettingsTests
{
    [Theory]
    [InlineData("--FleetOnline:RetentionMinutes=0")]
    [InlineData("--FleetOnline:RetentionMinutes=1441")]
    public async Task A_retention_outside_a_day_stops_start_up_naming_the_setting(string argument)
    {
        var refused = await Assert.ThrowsAsync<ConfigurationException>(() => IoTNode.BuildAsync([argument]));

        Assert.Contains("FleetOnline:RetentionMinutes must be between 1 and 1440", refused.Message);
    }
}
