namespace Orleans.IoT.Gateway.Configuration;

/// <summary><c>Auth:*</c> settings.</summary>
public sealed class AuthOptions
{
    public const string Section = "Auth";

    /// <summary>The CONNECT user name of provisioning sessions.</summary>
    public const string ProvisioningUser = "provision";

    /// <summary>Required to register a device when set; empty means open registration.</summary>
    public string? ProvisioningKey { get; set; }

    /// <summary>Operator name to key.</summary>
    public Dictionary<string, string> Operators { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Whether a client may connect without credentials (it then proves itself message by message).</summary>
    public bool AllowAnonymous { get; set; } = true;

    public bool OpenRegistration => string.IsNullOrEmpty(ProvisioningKey);
}
