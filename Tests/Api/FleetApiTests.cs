using System.Net;
using System.Text.Json;
using Orleans.IoT.Tests.Durable;
using Orleans.IoT.Tests.EndToEnd;

namespace Orleans.IoT.Tests.Api;

/// <summary><c>GET /api/v1/fleet/health</c> in both profiles: the counts follow a registration and an unregistration.</summary>
public abstract class FleetApiTests(NodeFixture node)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task The_report_counts_a_type_by_status_and_follows_an_unregistration()
    {
        var type = $"fleet-{Guid.NewGuid():N}"[..20];
        var (online, onlineToken) = await node.RegisterDeviceAsync(type: type);
        var (unregistered, _) = await node.RegisterDeviceAsync(type: type);
        await using (var device = await node.ConnectAsync(online, onlineToken))
        {
            var ack = await device.PublishAsync($"iot/devices/heartbeat/{online}", """{"battery_level":90}""", qos: 1);
            Assert.True(ack.IsSuccess, ack.ReasonString);
        }

        using var api = new ApiClient(node.HttpPort, NodeFixture.OperatorKey);
        using (var deleted = await api.DeleteAsync($"/api/v1/devices/{unregistered}"))
        {
            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        }

        var counts = await WaitForTypeAsync(api, type, c => c.GetProperty("unregistered").GetInt64() == 1 && c.GetProperty("total").GetInt64() == 2);

        Assert.Equal(1, counts.GetProperty("online").GetInt64() + counts.GetProperty("offline").GetInt64());
    }

    [Theory]
    [InlineData("0")]
    [InlineData("101")]
    [InlineData("ten")]
    public async Task A_bad_silent_count_is_refused_naming_it(string silent)
    {
        using var api = new ApiClient(node.HttpPort, NodeFixture.OperatorKey);

        using var response = await api.GetAsync($"/api/v1/fleet/health?silent={silent}");

        var problem = await ApiClient.AssertProblemAsync(response, HttpStatusCode.BadRequest, ErrorCodes.ValidationFailed);
        Assert.StartsWith("silent ", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task The_silent_longest_are_bounded_by_the_count_asked()
    {
        using var api = new ApiClient(node.HttpPort, NodeFixture.OperatorKey);

        var report = await api.GetJsonAsync("/api/v1/fleet/health?silent=1");

        Assert.True(report.GetProperty("silent_longest").GetArrayLength() <= 1);
    }

    /// <summary>The catalog is written in batches (PostgreSQL), so the report may lag a change: polls with a bound.</summary>
    private static async Task<JsonElement> WaitForTypeAsync(ApiClient api, string type, Func<JsonElement, bool> done)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (true)
        {
            var report = await api.GetJsonAsync("/api/v1/fleet/health");
            if (report.GetProperty("by_type").TryGetProperty(type, out var counts) && done(counts))
            {
                return counts;
            }

            Assert.True(DateTime.UtcNow < deadline, $"the report did not reach the expected counts for type {type}: {report}");
            await Task.Delay(200);
        }
    }
}

[Collection(NodeCollection.Name)]
public sealed class InMemoryFleetApiTests(NodeFixture node) : FleetApiTests(node);

[Collection(DurableCollection.Name)]
public sealed class DurableFleetApiTests(DurableNodeFixture node) : FleetApiTests(node);
