using Orleans.IoT.Gateway.Transport;

namespace Orleans.IoT.Tests.Routing;

public sealed class SubscriptionInterestTests
{
    [Theory]
    [InlineData("analytics/sensor_data/temperature")]
    [InlineData("analytics/#")]
    [InlineData("+/sensor_data/+")]
    [InlineData("#")]
    public void Filters_that_may_match_analytics_count(string filter)
    {
        var interest = new SubscriptionInterest();
        Assert.False(interest.MayReceiveAnalytics);

        interest.Subscribed("ops", filter);

        Assert.True(interest.MayReceiveAnalytics);
    }

    [Theory]
    [InlineData("iot/devices/dev1/#")]
    [InlineData("iot/events/presence/+")]
    [InlineData("analyticsx/y")]
    public void Other_filters_do_not(string filter)
    {
        var interest = new SubscriptionInterest();

        interest.Subscribed("dev1", filter);

        Assert.False(interest.MayReceiveAnalytics);
    }

    [Theory]
    [InlineData("iot/events/presence/+", FleetInterest.Events)]
    [InlineData("iot/alerts/#", FleetInterest.Alerts)]
    [InlineData("iot/#", FleetInterest.Events | FleetInterest.Alerts)]
    [InlineData("iot/+/presence/dev1", FleetInterest.Events | FleetInterest.Alerts)]
    [InlineData("+/events/#", FleetInterest.Analytics | FleetInterest.Events)]
    [InlineData("#", FleetInterest.All)]
    [InlineData("iot/devices/dev1/#", FleetInterest.None)]
    [InlineData("iot", FleetInterest.None)]
    public void A_filter_may_match_the_fleet_namespaces_its_first_two_levels_allow(string filter, FleetInterest expected)
    {
        Assert.Equal(expected, SubscriptionInterest.Of(filter));
    }

    [Fact]
    public void Changes_are_raised_when_a_namespace_gains_its_first_or_loses_its_last_subscription()
    {
        var interest = new SubscriptionInterest();
        var changes = 0;
        interest.Changed += () => changes++;

        interest.Subscribed("a", "iot/events/#");
        interest.Subscribed("b", "iot/events/presence/+");
        Assert.Equal((1, FleetInterest.Events), (changes, interest.Current));

        interest.Disconnected("a");
        Assert.Equal(1, changes);
        interest.Unsubscribed("b", "iot/events/presence/+");
        Assert.Equal((2, FleetInterest.None), (changes, interest.Current));
    }

    [Fact]
    public void Interest_ends_with_the_last_unsubscribe_or_disconnect()
    {
        var interest = new SubscriptionInterest();
        interest.Subscribed("a", "analytics/#");
        interest.Subscribed("a", "analytics/#");
        interest.Subscribed("b", "#");

        interest.Unsubscribed("a", "analytics/#");
        Assert.True(interest.MayReceiveAnalytics);

        interest.Disconnected("b");
        Assert.False(interest.MayReceiveAnalytics);

        interest.Unsubscribed("b", "#");
        Assert.False(interest.MayReceiveAnalytics);
    }

    [Fact]
    public void Streams_count_apart_from_subscriptions_and_both_make_the_current_interest()
    {
        var interest = new SubscriptionInterest();
        var changes = 0;
        interest.Changed += () => changes++;

        interest.Subscribed("a", "iot/alerts/#");
        interest.StreamOpened(FleetInterest.Events | FleetInterest.Alerts);
        Assert.Equal(
            (FleetInterest.Alerts, FleetInterest.Events | FleetInterest.Alerts, FleetInterest.Events | FleetInterest.Alerts),
            (interest.Subscribers, interest.Streams, interest.Current));
        Assert.Equal(2, changes); // alerts by subscription, then events and alerts by stream

        interest.StreamClosed(FleetInterest.Events | FleetInterest.Alerts);
        Assert.Equal((FleetInterest.Alerts, FleetInterest.None, FleetInterest.Alerts), (interest.Subscribers, interest.Streams, interest.Current));
        Assert.Equal(3, changes);
    }

    [Fact]
    public void A_device_stream_watches_its_device_until_its_last_stream_closes()
    {
        var interest = new SubscriptionInterest();
        var changes = 0;
        interest.Changed += () => changes++;

        interest.StreamOpened(FleetInterest.Events | FleetInterest.Alerts, "dev-b");
        interest.StreamOpened(FleetInterest.Events | FleetInterest.Alerts, "dev-a");
        interest.StreamOpened(FleetInterest.Events | FleetInterest.Alerts, "dev-b");
        Assert.Equal(["dev-a", "dev-b"], interest.WatchedDevices);
        Assert.Equal(FleetInterest.Events | FleetInterest.Alerts, interest.Current);
        Assert.Equal(3, changes); // the streams' kinds once, then each device's first stream

        interest.StreamClosed(FleetInterest.Events | FleetInterest.Alerts, "dev-b");
        Assert.Equal(["dev-a", "dev-b"], interest.WatchedDevices);
        interest.StreamClosed(FleetInterest.Events | FleetInterest.Alerts, "dev-b");
        Assert.Equal(["dev-a"], interest.WatchedDevices);
        Assert.Equal(4, changes);
    }
}
