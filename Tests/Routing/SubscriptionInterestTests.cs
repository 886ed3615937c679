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
}
