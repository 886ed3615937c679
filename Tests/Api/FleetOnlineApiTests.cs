using System.Net;
using Orleans.IoT.Tests.Durable;
using Orleans.IoT.Tests.EndToEnd;

namespace Orleans.IoT.Tests.Api;

/// <summary>
/// <c>GET /api/v1/fleet/online</c> in both profiles (grain state and reminders in memory, or in Redis with the catalog in
/// PostgreSQL): the span is checked, and the samples come oldest first in snake_case.
/// </summary>
public abstract class FleetOnlineApiTests(NodeFixture node)
{
    [Fact]
    public async Task The_last_hour_by_default_with_the_first_sample_taken_at_once()
    {
        using var api = new ApiClient(node.HttpPort, NodeFixture.OperatorKey);

        var answer = await api.GetJsonAsync("/api/v1/fleet/online");

        Assert.Equal(60, answer.GetProperty("minutes").GetInt32());
        var samples = answer.GetProperty("samples").EnumerateArray().ToList();
        Assert.NotEmpty(samples);
        var times = samples.Select(s => s.GetProperty("at").GetDateTimeOffset()).ToList();
        Assert.Equal(times.Order(), times);
        Assert.All(samples, s => Assert.InRange(s.GetProperty("online").GetInt64(), 0, s.GetProperty("registered").GetInt64()));
    }

    [Theory]
    [InlineData("0")]
    [InlineData("1441")]
    [InlineData("an-hour")]
    public async Task A_span_outside_1_to_1440_minutes_is_refused_naming_it(string minutes)
    {
        using var api = new ApiClient(node.HttpPort, NodeFixture.OperatorKey);

        using var response = await api.GetAsync($"/api/v1/fleet/online?minutes={minutes}");

        var problem = await ApiClient.AssertProblemAsync(response, HttpStatusCode.BadRequest, ErrorCodes.ValidationFailed);
        Assert.Equal("minutes must be an integer from 1 to 1440", problem.GetProperty("detail").GetString());
    }
}

[Collection(NodeCollection.Name)]
public sealed class InMemoryFleetOnlineApiTests(NodeFixture node) : FleetOnlineApiTests(node);

[Collection(DurableCollection.Name)]
public sealed class DurableFleetOnlineApiTests(DurableNodeFixture node) : FleetOnlineApiTests(node);
