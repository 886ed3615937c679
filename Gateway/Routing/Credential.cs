namespace Orleans.IoT.Gateway.Routing;

public enum CredentialKind
{
    Anonymous,
    Provisioning,
    Operator,
}

/// <summary>
/// What the authentication middleware established for one message: an operator, a provisioning right,
/// and the device token offered (which only the device's owner can verify).
/// </summary>
public readonly record struct Credential(CredentialKind Kind, string? DeviceToken);
