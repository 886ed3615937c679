using Orleans.IoT.Gateway.Routing;
using Orleans.IoT.Gateway.Security;

namespace Orleans.IoT.Tests.Routing;

public sealed class TopicAccessPolicyTests
{
    private static readonly Caller Device = Caller.Device("dev1", "token");

    [Theory]
    [InlineData("iot/devices/dev1/#")]
    [InlineData("iot/devices/dev1/commands/+")]
    [InlineData("iot/devices/dev1/register/response")]
    [InlineData("iot/devices/dev1/errors")]
    public void A_device_may_subscribe_to_its_own_subtree(string filter) =>
        Assert.True(TopicAccessPolicy.CanSubscribe(Device, filter));

    [Theory]
    [InlineData("iot/devices/dev2/#")]
    [InlineData("iot/devices/+/commands/+")]
    [InlineData("iot/devices/#")]
    [InlineData("#")]
    [InlineData("iot/devices/dev1")]
    [InlineData("iot/devices/dev1/")]
    [InlineData("iot/devices/dev10/#")]
    [InlineData("analytics/sensor_data/temperature")]
    [InlineData("iot/devices/dev1/a#")]
    [InlineData("iot/devices/dev1/#/x")]
    [InlineData("iot/alerts/#")]
    [InlineData("iot/alerts/high/dev1")]
    [InlineData("iot/+/high/dev1")]
    [InlineData("iot/devices/alerts/rules")]
    [InlineData("iot/devices/alerts/#")]
    public void A_device_may_not_subscribe_elsewhere(string filter) =>
        Assert.False(TopicAccessPolicy.CanSubscribe(Device, filter));

    [Theory]
    [InlineData("iot/devices/dev1/register/response", true)]
    [InlineData("iot/devices/dev1/register/error", true)]
    [InlineData("iot/devices/dev1/register/+", true)]
    [InlineData("iot/devices/dev1/register/#", true)]
    [InlineData("iot/devices/dev1/register", false)]
    [InlineData("iot/devices/dev1/register/+/x", false)]
    [InlineData("iot/devices/dev1/+/response", false)]
    [InlineData("iot/devices/dev1/#", false)]
    [InlineData("iot/devices/dev1/unregister/response", false)]
    [InlineData("iot/devices/dev1/errors", false)]
    [InlineData("iot/devices/+/register/response", false)]
    [InlineData("iot/devices/+/register/#", false)]
    [InlineData("iot/devices/#", false)]
    [InlineData("iot/devices/dev1/commands/c1", false)]
    [InlineData("iot/devices/data/register/response", false)]
    [InlineData("analytics/#", false)]
    [InlineData("iot/alerts/#", false)]
    [InlineData("iot/devices/alerts/register/response", false)]
    [InlineData("iot/devices/alerts/rules", false)]
    public void A_provisioning_session_may_subscribe_only_to_one_devices_registration_replies(string filter, bool allowed)
    {
        Assert.Equal(allowed, TopicAccessPolicy.CanSubscribe(Caller.Provisioning, filter));
        Assert.Equal(allowed, TopicAccessPolicy.CanSubscribe(Caller.Anonymous, filter));
    }

    [Theory]
    [InlineData("#")]
    [InlineData("iot/events/#")]
    [InlineData("analytics/sensor_data/+")]
    [InlineData("iot/alerts/#")]
    public void Operators_may_subscribe_anywhere(string filter) =>
        Assert.True(TopicAccessPolicy.CanSubscribe(Caller.Operator("ops"), filter));
}
