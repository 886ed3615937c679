using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using MQTTnet;
using Orleans.IoT.Gateway.Live;
using Orleans.IoT.Gateway.Transport;
using Orleans.IoT.Tests.EndToEnd;

namespace Orleans.IoT.Tests.Api;

/// <summary>
/// A co-hosted node that serves at most <see cref="MaxStreams"/> event streams (<see cref="MaxStreamsPerOperator"/> of one
/// operator's, and it has two) of <see cref="QueueEvents"/> queued events each, with a heartbeat every second; a device
/// may send as fast as a test can.
/// </summary>
public sealed class EventStreamNodeFixture : NodeFixture
{
    public const int MaxStreams = 3;
    public const int MaxStreamsPerOperator = 2;
    public const int QueueEvents = 16;
    public const string SecondOperatorKey = "ops2-test-key";

    protected override IEnumerable<string> ExtraArguments =>
    [
        $"--Console:MaxStreams={MaxStreams}", $"--Console:MaxStreamsPerOperator={MaxStreamsPerOperator}", $"--Console:StreamQueueEvents={QueueEvents}",
        "--Console:HeartbeatSeconds=1", "--RateLimit:MaxMessages=1000000", $"--Auth:Operators:ops2={SecondOperatorKey}",
    ];
}

/// <summary>
/// <c>GET /api/v1/events</c> read by a plain HttpClient: the fleet events the gateway publishes over MQTT, with the same
/// payloads, and a device's readings only on a stream opened for it; its bounds and its authorization.
/// </summary>
public sealed class EventsApiTests(EventStreamNodeFixture node) : IClassFixture<EventStreamNodeFixture>, IAsyncLifetime
{
    private LiveEvents Streams => node.Services.GetRequiredService<LiveEvents>();

    private SubscriptionInterest Interest => node.Services.GetRequiredService<SubscriptionInterest>();

    // Each test starts with no stream open: a stream another test closed is let go by the server in its own time.
    public Task InitializeAsync() => Eventually.TrueAsync(() => Streams.Count == 0, "the previous test's streams are closed");

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task A_stream_carries_presence_and_alerts_with_the_payloads_of_their_mqtt_messages()
    {
        var (deviceId, token) = await node.RegisterDeviceAsync();
        await using var watcher = await node.ConnectOperatorAsync();
        await watcher.SubscribeAsync($"iot/events/presence/{deviceId}");
        await watcher.SubscribeAsync($"iot/alerts/high/{deviceId}");
        await using var stream = await EventStreamClient.OpenAsync(node.HttpPort, NodeFixture.OperatorKey);

        var retry = await stream.WaitForAsync(e => e.Retry is not null, "retry:");
        Assert.Equal("3000", retry.Retry);
        await using (var device = await node.ConnectDeviceAsync(deviceId, token))
        {
            await node.AcceptedAsync(device, $"iot/devices/data/{deviceId}/temperature", """{"value":95}""");

            var alert = await stream.WaitForAsync(LiveEventKinds.Alert, deviceId);
            Assert.Equal(("active", "high"), (alert.Json.Text("state"), alert.Json.Text("severity")));
            Assert.Equal((await watcher.WaitForAsync($"iot/alerts/high/{deviceId}")).ConvertPayloadToString(), alert.Data);
        }

        var offline = await stream.WaitForAsync(LiveEventKinds.Presence, deviceId, p => p.Text("status") == "offline");
        Assert.Equal("disconnected", offline.Json.Text("reason"));
        string mqttOffline;
        do
        {
            mqttOffline = (await watcher.WaitForAsync($"iot/events/presence/{deviceId}")).ConvertPayloadToString();
        }
        while (!mqttOffline.Contains("\"offline\"", StringComparison.Ordinal));

        Assert.Equal(mqttOffline, offline.Data);
        Assert.True(long.Parse(offline.Id!) > 0);
    }

    [Fact]
    public async Task A_device_comes_online_on_a_stream_opened_before_it_registered_and_ids_increase()
    {
        await using var stream = await EventStreamClient.OpenAsync(node.HttpPort, NodeFixture.OperatorKey);
        await stream.WaitForAsync(e => e.Retry is not null, "retry:");

        var (deviceId, token) = await node.RegisterDeviceAsync();
        var online = await stream.WaitForAsync(LiveEventKinds.Presence, deviceId, p => p.Text("status") == "online");
        await using var device = await node.ConnectDeviceAsync(deviceId, token);
        await node.AcceptedAsync(device, $"iot/devices/data/{deviceId}/temperature", """{"value":96}""");
        var alert = await stream.WaitForAsync(LiveEventKinds.Alert, deviceId);

        Assert.True(long.Parse(alert.Id!) > long.Parse(online.Id!));
        Assert.DoesNotContain(token, online.Data);
        Assert.DoesNotContain("auth_token", online.Data);
    }

    [Fact]
    public async Task A_stream_for_a_device_carries_its_readings_and_no_other_devices()
    {
        var (watched, watchedToken) = await node.RegisterDeviceAsync();
        var (other, otherToken) = await node.RegisterDeviceAsync();
        await using var fleet = await EventStreamClient.OpenAsync(node.HttpPort, NodeFixture.OperatorKey);
        await using var page = await EventStreamClient.OpenAsync(node.HttpPort, NodeFixture.OperatorKey, $"/api/v1/events?device_id={watched}");
        await using var watchedDevice = await node.ConnectDeviceAsync(watched, watchedToken);
        await using var otherDevice = await node.ConnectDeviceAsync(other, otherToken);

        await node.AcceptedAsync(otherDevice, $"iot/devices/data/{other}/humidity", """{"value":41}""");
        await node.AcceptedAsync(watchedDevice, $"iot/devices/data/{watched}/humidity", """{"value":42}""");
        await node.AcceptedAsync(otherDevice, $"iot/devices/data/{other}/humidity", """{"value":43}""");
        await node.AcceptedAsync(watchedDevice, $"iot/devices/data/{watched}/humidity", """{"value":44}""");

        var first = await page.WaitForAsync(LiveEventKinds.Reading, watched);
        var second = await page.WaitForAsync(LiveEventKinds.Reading, watched);
        Assert.Equal((42.0, 44.0), (first.Json.GetProperty("value").GetDouble(), second.Json.GetProperty("value").GetDouble()));
        Assert.Equal("humidity", first.Json.Text("sensor_type"));
        // The other device goes offline after its readings were handled: once both streams have that, any reading of it would have come.
        await otherDevice.DisposeAsync();
        await fleet.WaitForAsync(LiveEventKinds.Presence, other, p => p.Text("status") == "offline");
        await page.WaitForAsync(LiveEventKinds.Presence, other, p => p.Text("status") == "offline");
        Assert.DoesNotContain(page.Received(), e => e.Event == LiveEventKinds.Reading && e.Json.Text("device_id") == other);
        Assert.DoesNotContain(fleet.Received(), e => e.Event == LiveEventKinds.Reading);
    }

    [Fact]
    public async Task An_open_stream_counts_as_interest_in_the_events_it_carries_until_it_closes()
    {
        await Eventually.TrueAsync(() => Interest.Current == FleetInterest.None, "no MQTT subscription or stream is left from another test");

        await using (var fleet = await EventStreamClient.OpenAsync(node.HttpPort, NodeFixture.OperatorKey))
        {
            Assert.Equal(FleetInterest.Events | FleetInterest.Alerts, Interest.Current);
            await using (var page = await EventStreamClient.OpenAsync(node.HttpPort, NodeFixture.OperatorKey, "/api/v1/events?device_id=some-device"))
            {
                // A device page asks for its device's readings, not for every reading of the fleet.
                Assert.Equal(FleetInterest.Events | FleetInterest.Alerts, Interest.Current);
                Assert.Equal(["some-device"], Interest.WatchedDevices);
            }

            await Eventually.TrueAsync(() => Interest.WatchedDevices.Count == 0, "the device stream's device is dropped");
        }

        await Eventually.TrueAsync(() => Interest.Current == FleetInterest.None, "the last stream's interest is dropped");
    }

    [Fact]
    public async Task A_quiet_stream_gets_a_heartbeat_comment()
    {
        await using var stream = await EventStreamClient.OpenAsync(node.HttpPort, NodeFixture.OperatorKey);

        var heartbeat = await stream.WaitForAsync(e => e.Comment is not null, "a heartbeat", TimeSpan.FromSeconds(5));

        Assert.Equal("heartbeat", heartbeat.Comment);
    }

    [Fact]
    public async Task Streams_over_an_operators_cap_or_the_gateways_are_refused_with_a_problem_until_one_closes()
    {
        var open = new List<EventStreamClient>();
        try
        {
            for (var i = 0; i < EventStreamNodeFixture.MaxStreamsPerOperator; i++)
            {
                open.Add(await EventStreamClient.OpenAsync(node.HttpPort, NodeFixture.OperatorKey));
            }

            using var api = new ApiClient(node.HttpPort, NodeFixture.OperatorKey);
            using (var operatorFull = await api.GetAsync("/api/v1/events"))
            {
                var problem = await ApiClient.AssertProblemAsync(operatorFull, HttpStatusCode.TooManyRequests, ErrorCodes.RateLimited);
                Assert.Contains("Console:MaxStreamsPerOperator", problem.Text("detail"));
                Assert.NotNull(operatorFull.Headers.RetryAfter);
            }

            for (var i = EventStreamNodeFixture.MaxStreamsPerOperator; i < EventStreamNodeFixture.MaxStreams; i++)
            {
                open.Add(await EventStreamClient.OpenAsync(node.HttpPort, EventStreamNodeFixture.SecondOperatorKey));
            }

            using var second = new ApiClient(node.HttpPort, EventStreamNodeFixture.SecondOperatorKey);
            using (var gatewayFull = await second.GetAsync("/api/v1/events"))
            {
                var problem = await ApiClient.AssertProblemAsync(gatewayFull, HttpStatusCode.ServiceUnavailable, "unavailable");
                Assert.Contains("Console:MaxStreams", problem.Text("detail"));
                Assert.NotNull(gatewayFull.Headers.RetryAfter);
            }

            await open[0].DisposeAsync();
            open.RemoveAt(0);
            await Eventually.TrueAsync(() => Streams.Count < EventStreamNodeFixture.MaxStreams, "the closed stream is let go");
            open.Add(await EventStreamClient.OpenAsync(node.HttpPort, EventStreamNodeFixture.SecondOperatorKey));
        }
        finally
        {
            foreach (var stream in open)
            {
                await stream.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task A_reader_that_stops_reading_is_dropped_and_its_place_freed()
    {
        var (deviceId, token) = await node.RegisterDeviceAsync();
        // A reader with a small window that never reads: the server's buffers fill, then its stream's queue.
        using var reader = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 1024 };
        await reader.ConnectAsync(IPAddress.Loopback, node.HttpPort);
        await reader.SendAsync(Encoding.ASCII.GetBytes(
            $"GET /api/v1/events?device_id={deviceId} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {NodeFixture.OperatorKey}\r\n\r\n"));
        await Eventually.TrueAsync(() => Streams.Count == 1, "the stream is open");
        await using var device = await node.ConnectDeviceAsync(deviceId, token);

        var sent = 0;
        while (Streams.Count == 1 && sent < 20_000)
        {
            await device.PublishAsync($"iot/devices/data/{deviceId}/humidity", $$"""{"value":{{sent++ % 100}}}""", qos: 0);
        }

        await Eventually.TrueAsync(() => Streams.Count == 0, $"the stalled stream is dropped ({sent} readings sent)");
        using var api = new ApiClient(node.HttpPort, operatorKey: null);
        var exposition = await (await api.GetAsync("/metrics")).Content.ReadAsStringAsync();
        Assert.Matches(@"(?m)^orleans_iot_gateway_event_streams_fell_behind_total(\{[^}]*\})? [1-9]", exposition);
        await using var next = await EventStreamClient.OpenAsync(node.HttpPort, NodeFixture.OperatorKey);
    }

    [Fact]
    public async Task The_openapi_document_describes_the_stream()
    {
        using var api = new ApiClient(node.HttpPort, operatorKey: null);

        var document = await api.GetJsonAsync("/openapi/v1.json");

        var get = document.GetProperty("paths").GetProperty("/api/v1/events").GetProperty("get");
        Assert.True(get.GetProperty("responses").GetProperty("200").GetProperty("content").TryGetProperty("text/event-stream", out _));
        Assert.Contains(get.GetProperty("parameters").EnumerateArray(), p => p.Text("name") == "device_id");
    }

    [Fact]
    public async Task A_bad_device_id_is_refused_naming_it()
    {
        using var api = new ApiClient(node.HttpPort, NodeFixture.OperatorKey);

        using var response = await api.GetAsync("/api/v1/events?device_id=no%20spaces");

        var problem = await ApiClient.AssertProblemAsync(response, HttpStatusCode.BadRequest, ErrorCodes.ValidationFailed);
        Assert.Contains("device_id", problem.Text("detail"));
        Assert.Equal(0, Streams.Count);
    }

    [Fact]
    public async Task No_key_or_a_device_token_gets_401_and_no_stream()
    {
        var (_, token) = await node.RegisterDeviceAsync();
        using var anonymous = new ApiClient(node.HttpPort, operatorKey: null);
        using var device = new ApiClient(node.HttpPort, operatorKey: token);

        using var withoutKey = await anonymous.GetAsync("/api/v1/events");
        using var withToken = await device.GetAsync("/api/v1/events");

        await ApiClient.AssertProblemAsync(withoutKey, HttpStatusCode.Unauthorized, ErrorCodes.Unauthorized);
        await ApiClient.AssertProblemAsync(withToken, HttpStatusCode.Unauthorized, ErrorCodes.Unauthorized);
        Assert.Equal(0, Streams.Count);
    }

    [Fact]
    public async Task A_stream_opened_by_a_console_session_ends_when_the_session_is_signed_out_and_a_key_s_stream_goes_on()
    {
        using var console = WebConsole.ConsoleHttp.NewClient(node.HttpPort);
        string cookie;
        using (var signIn = await WebConsole.ConsoleHttp.PostSignInAsync(console, NodeFixture.OperatorKey))
        {
            Assert.Equal(HttpStatusCode.NoContent, signIn.StatusCode);
            cookie = Assert.Single(signIn.Headers.GetValues("Set-Cookie")).Split(';')[0];
        }

        await using var bySession = await EventStreamClient.OpenAsync(node.HttpPort, NodeFixture.OperatorKey, sessionCookie: cookie);
        await using var byKey = await EventStreamClient.OpenAsync(node.HttpPort, NodeFixture.OperatorKey);
        Assert.False(await bySession.EndedAsync(TimeSpan.FromSeconds(2.5)), "the session's stream ended while the session held");

        using (var signOut = await console.SendAsync(new HttpRequestMessage(HttpMethod.Delete, Gateway.WebConsole.FleetConsole.SessionPath)
        {
            Headers = { { Gateway.WebConsole.ConsoleSession.HeaderName, "1" } },
        }))
        {
            Assert.Equal(HttpStatusCode.NoContent, signOut.StatusCode);
        }

        Assert.True(await bySession.EndedAsync(TimeSpan.FromSeconds(5)), "the session's stream outlived its sign-out");
        Assert.False(await byKey.EndedAsync(TimeSpan.Zero), "the key's stream ended with someone's session");
    }
}
