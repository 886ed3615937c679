namespace Orleans.IoT;

public enum CallerKind
{
    /// <summary>Nobody the gateway could vouch for; may still carry a device token to verify.</summary>
    Anonymous = 0,

    /// <summary>Allowed to register new devices: the provisioning user, a valid provision key, or open registration.</summary>
    Provisioning = 1,

    /// <summary>An operator whose key the gateway verified.</summary>
    Operator = 2,
}

/// <summary>
/// Who sent a message, as far as the gateway can tell. A device token is never trusted by the gateway:
/// the device grain, which holds the token hash, verifies it on every call.
/// </summary>
[GenerateSerializer, Immutable, Alias("iot.caller")]
public readonly record struct Caller(
    [property: Id(0)] CallerKind Kind,
    [property: Id(1)] string? DeviceToken)
{
    public static Caller Operator => new(CallerKind.Operator, null);

    public bool IsOperator => Kind == CallerKind.Operator;
}
