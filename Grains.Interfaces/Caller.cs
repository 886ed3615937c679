namespace Orleans.IoT;

/// <summary>Who sends a message: the one model of a caller, from the transport session to the grain.</summary>
public enum CallerKind
{
    /// <summary>Nobody the gateway could vouch for; may still carry a device token for the device grain to verify.</summary>
    Anonymous = 0,

    /// <summary>Allowed to register new devices: the provisioning user, a valid provision key, or open registration.</summary>
    Provisioning = 1,

    /// <summary>An operator whose key the gateway verified.</summary>
    Operator = 2,

    /// <summary>A device, by the token it connected with (which only its grain can verify) or by its client certificate.</summary>
    Device = 3,
}

/// <summary>
/// Who sent a message, as far as the gateway can tell. A device token is never trusted by the gateway: the device
/// grain, which holds the token hash, verifies it on every call. A device's client certificate is the opposite: only
/// the gateway sees the TLS connection, so it verifies the certificate, and the grain trusts that for the one device
/// the certificate names (<see cref="IsCertifiedDevice"/>). Routes name the least kind they are meant for
/// (<see cref="CallerKind.Device"/>: the device named by the topic; <see cref="CallerKind.Provisioning"/>:
/// registration; <see cref="CallerKind.Operator"/>: operators only).
/// </summary>
/// <param name="Name">The device id of a device session, the name of an operator.</param>
/// <param name="DeviceToken">The token a device connected with, or that a message carries.</param>
/// <param name="ByCertificate">
/// The gateway verified a client certificate naming device <paramref name="Name"/> on this session's TLS connection.
/// Set only by the gateway's broker at CONNECT, never from anything a message carries.
/// </param>
/// <param name="Gateway">
/// The gateway that received the message (its <c>Gateway:Id</c>): the device grain of a device proven by this caller
/// sends its device's messages there. Null for callers that are not on an MQTT connection (the HTTP API).
/// </param>
[GenerateSerializer, Immutable, Alias("iot.caller")]
public sealed record Caller(
    [property: Id(0)] CallerKind Kind,
    [property: Id(1)] string? DeviceToken = null,
    [property: Id(2)] string? Name = null,
    [property: Id(3)] bool ByCertificate = false,
    [property: Id(4)] string? Gateway = null)
{
    public static readonly Caller Anonymous = new(CallerKind.Anonymous);

    public static readonly Caller Provisioning = new(CallerKind.Provisioning);

    /// <summary>A device session on gateway <paramref name="gateway"/>, by the token it connected with.</summary>
    public static Caller Device(string deviceId, string token, string? gateway = null) => new(CallerKind.Device, token, deviceId, Gateway: gateway);

    /// <summary>A device session whose client certificate the gateway verified, for the device id the certificate names.</summary>
    public static Caller CertifiedDevice(string deviceId, string? gateway = null) => new(CallerKind.Device, Name: deviceId, ByCertificate: true, Gateway: gateway);

    public static Caller Operator(string name) => new(CallerKind.Operator, Name: name);

    public bool IsOperator => Kind == CallerKind.Operator;

    /// <summary>A device session proven by a client certificate (whichever device it names).</summary>
    public bool IsCertifiedDevice => Kind == CallerKind.Device && ByCertificate && Name is not null;
}
