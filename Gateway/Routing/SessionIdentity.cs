namespace Orleans.IoT.Gateway.Routing;

public enum SessionKind
{
    /// <summary>No credentials at CONNECT (or an external broker hiding the publisher).</summary>
    Anonymous,

    /// <summary>CONNECT as user <c>provision</c> with the provisioning key, or anonymous under open registration.</summary>
    Provisioning,

    /// <summary>CONNECT as a registered device with its token.</summary>
    Device,

    /// <summary>CONNECT as a configured operator with its key.</summary>
    Operator,
}

/// <summary>Who the transport established a connection to be.</summary>
/// <param name="Name">The device id or operator name.</param>
/// <param name="DeviceToken">The token a device connected with; the grain checks it again on every call.</param>
public sealed record SessionIdentity(SessionKind Kind, string? Name = null, string? DeviceToken = null)
{
    public static readonly SessionIdentity Anonymous = new(SessionKind.Anonymous);
    public static readonly SessionIdentity Provisioning = new(SessionKind.Provisioning);

    public static SessionIdentity Device(string deviceId, string token) => new(SessionKind.Device, deviceId, token);

    public static SessionIdentity Operator(string name) => new(SessionKind.Operator, name);
}
