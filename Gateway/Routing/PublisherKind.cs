namespace Orleans.IoT.Gateway.Routing;

/// <summary>Who a route is meant for. Operators may publish on every route.</summary>
public enum PublisherKind
{
    /// <summary>The device named by the topic's <c>{device_id}</c>, proven by its token.</summary>
    Device,

    /// <summary>A provisioning session, or the device itself, or an operator.</summary>
    Provisioning,

    /// <summary>Operators only.</summary>
    Operator,
}
