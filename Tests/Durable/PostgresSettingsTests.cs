using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.IoT.Gateway.Configuration;
using Orleans.IoT.Silo;

namespace Orleans.IoT.Tests.Durable;

/// <summary>The durable profile's settings are checked at start-up, before any service is reached.</summary>
public sealed class PostgresSettingsTests
{
    [Theory]
    [InlineData("--Postgres:MaxPoolSize=0", "Postgres:MaxPoolSize must be between 1 and 1000")]
    [InlineData("--Postgres:MaxPoolSize=1001", "Postgres:MaxPoolSize must be between 1 and 1000")]
    [InlineData("--History:MaxOutageSeconds=-1", "History:MaxOutageSeconds must be between 0 and 3600")]
    [InlineData("--History:MaxOutageSeconds=3601", "History:MaxOutageSeconds must be between 0 and 3600")]
    [InlineData("--Audit:BatchSize=0", "Audit:BatchSize must be between 1 and 10000")]
    [InlineData("--Audit:QueueFullWaitMilliseconds=-1", "Audit:QueueFullWaitMilliseconds must be between 0 and 60000")]
    public async Task A_bad_value_stops_start_up_naming_the_setting(string argument, string message)
    {
        var refused = await Assert.ThrowsAsync<ConfigurationException>(() => IoTNode.BuildAsync([argument]));
        Assert.Contains(message, refused.Message);
    }

    [Fact]
    public async Task A_pool_too_small_for_the_writers_stops_start_up()
    {
        var refused = await Assert.ThrowsAsync<ConfigurationException>(() => IoTNode.BuildAsync(
            ["--History:Provider=Postgres", "--History:Writers=4", "--Postgres:MaxPoolSize=4"]));
        Assert.Contains("Postgres:MaxPoolSize (4) must be at least History:Writers + 3 (7)", refused.Message);
    }

    [Fact]
    public async Task A_grain_call_outlasts_the_longest_outage_a_reading_waits_through()
    {
        await using var app = await IoTNode.BuildAsync(["--History:MaxOutageSeconds=45"]);
        var messaging = app.Services.GetRequiredService<IOptions<SiloMessagingOptions>>().Value;
        Assert.Equal(TimeSpan.FromSeconds(75), messaging.ResponseTimeout);
    }
}
