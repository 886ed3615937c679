using System.Diagnostics.Metrics;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.IoT.Gateway.Configuration;
using Orleans.IoT.Gateway.Live;
using Orleans.IoT.Gateway.Messaging;
using Orleans.IoT.Gateway.Transport;

namespace Orleans.IoT.Tests.Api;

/// <summary>The operators' event streams of one gateway without HTTP: framing, filtering, the cap, the queue bound, interest.</summary>
public sealed class LiveEventsTests
{
    private readonly SubscriptionInterest _interest = new();

    private LiveEvents Events(int maxStreams = 10, int maxPerOperator = 10, int queueEvents = 10) =>
        new(_interest, new GatewayMetrics(new ServiceCollection().AddMetrics().BuildServiceProvider().GetRequiredService<IMeterFactory>()), Options.Create(new LiveStreamOptions { MaxStreams = maxStreams, MaxStreamsPerOperator = maxPerOperator, StreamQueueEvents = queueEvents }));

    private static LiveEventStream Open(LiveEvents events, string? deviceId = null, string operatorName = "ops")
    {
        var stream = events.TryOpen(operatorName, deviceId, out var refusal);
        Assert.Equal(StreamRefusal.None, refusal);
        return stream!;
    }

    [Fact]
    public void An_event_is_framed_once_with_its_id_kind_and_payload()
    {
        var frame = SseFrames.Event(42, LiveEventKinds.Presence, """{"device_id":"d1","status":"online"}"""u8);

        Assert.Equal("id: 42\nevent: presence\ndata: {\"device_id\":\"d1\",\"status\":\"online\"}\n\n", Encoding.UTF8.GetString(frame));
        Assert.Equal("retry: 3000\n\n", Encoding.ASCII.GetString(SseFrames.Retry(3000)));
    }

    [Fact]
    public void Every_stream_gets_fleet_events_and_only_a_device_stream_gets_that_devices_readings()
    {
        var events = Events();
        using var fleet = Open(events);
        using var page = Open(events, "d1");

        events.Publish(LiveEventKinds.Alert, "{}"u8);
        events.PublishReading("d2", "{}"u8);
        events.PublishReading("d1", "{}"u8);

        Assert.Equal(["alert"], Kinds(fleet));
        Assert.Equal(["alert", "reading"], Kinds(page));
    }

    [Fact]
    public void No_more_than_the_caps_are_open_at_once_for_the_gateway_and_for_one_operator()
    {
        var events = Events(maxStreams: 3, maxPerOperator: 2);
        var first = Open(events);
        using var second = Open(events);

        Assert.Null(events.TryOpen("ops", null, out var refusal));
        Assert.Equal(StreamRefusal.OperatorFull, refusal);
        using var other = Open(events, operatorName: "ops2");
        Assert.Null(events.TryOpen("ops2", null, out refusal));
        Assert.Equal(StreamRefusal.GatewayFull, refusal);
        first.Dispose();
        first.Dispose();
        using var third = Open(events);
        Assert.Equal(3, events.Count);
    }

    [Fact]
    public void A_stream_whose_queue_is_full_is_ended_after_what_it_holds_and_others_go_on()
    {
        var events = Events(queueEvents: 2);
        using var slow = Open(events);
        using var other = Open(events);

        for (var i = 0; i < 3; i++)
        {
            events.Publish(LiveEventKinds.Presence, "{}"u8);
            Assert.True(other.Frames.TryRead(out _));
        }

        Assert.True(slow.FellBehind);
        Assert.True(SpinWait.SpinUntil(() => slow.FellBehindToken.IsCancellationRequested, TimeSpan.FromSeconds(5)));
        Assert.Equal(2, Kinds(slow).Count);
        Assert.True(slow.Frames.Completion.IsCompleted);
        Assert.False(other.FellBehind);
    }

    [Fact]
    public void Open_streams_count_as_interest_until_closed()
    {
        var events = Events();
        var changes = 0;
        _interest.Changed += () => changes++;

        var fleet = Open(events);
        Assert.Equal(FleetInterest.Events | FleetInterest.Alerts, _interest.Current);
        var page = Open(events, "d1");
        // A device's stream watches that device: the cluster sends its readings, not every reading of the fleet.
        Assert.Equal(FleetInterest.Events | FleetInterest.Alerts, _interest.Current);
        Assert.Equal(["d1"], _interest.WatchedDevices);
        Assert.True(events.WantsReadingsOf("d1"));
        Assert.False(events.WantsReadingsOf("d2"));
        // Readings are published to the broker only for an MQTT subscription, not for a stream.
        Assert.False(_interest.MayReceiveAnalytics);
        page.Dispose();
        Assert.Equal(FleetInterest.Events | FleetInterest.Alerts, _interest.Current);
        Assert.Empty(_interest.WatchedDevices);
        Assert.False(events.WantsReadingsOf("d1"));
        fleet.Dispose();
        fleet.Dispose();

        Assert.Equal(FleetInterest.None, _interest.Current);
        Assert.Equal(4, changes);
    }

    [Fact]
    public void Without_a_stream_nothing_is_framed()
    {
        var events = Events();

        events.Publish(LiveEventKinds.Presence, "{}"u8);
        using var stream = Open(events);
        events.Publish(LiveEventKinds.Presence, "{}"u8);

        Assert.True(stream.Frames.TryRead(out var frame));
        Assert.StartsWith("id: 1\n", Encoding.ASCII.GetString(frame));
    }

    private static List<string> Kinds(LiveEventStream stream)
    {
        var kinds = new List<string>();
        while (stream.Frames.TryRead(out var frame))
        {
            var text = Encoding.UTF8.GetString(frame);
            var start = text.IndexOf("event: ", StringComparison.Ordinal) + "event: ".Length;
            kinds.Add(text[start..text.IndexOf('\n', start)]);
        }

        return kinds;
    }
}
