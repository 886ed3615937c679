using Orleans.IoT.Tests.EndToEnd;

namespace Orleans.IoT.Tests.Cluster;

/// <summary>The standalone gateway's own settings are checked at start-up, before it reaches the cluster.</summary>
public sealed class GatewayHostSettingsTests
{
    [Theory]
    [InlineData("--Orleans:ResponseTimeoutSeconds=0", "Orleans:ResponseTimeoutSeconds must be between 1 and 3630")]
    [InlineData("--Orleans:ResponseTimeoutSeconds=3631", "Orleans:ResponseTimeoutSeconds must be between 1 and 3630")]
    public async Task A_bad_value_stops_start_up_naming_the_setting(string argument, string message)
    {
        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => NodeProcess.StartGatewayAsync([argument]));
        Assert.Contains(message, refused.Message);
    }
}
