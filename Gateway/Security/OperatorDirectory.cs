using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using Orleans.IoT.Gateway.Configuration;

namespace Orleans.IoT.Gateway.Security;

/// <summary>The configured operators and provisioning key, compared in constant time.</summary>
public sealed class OperatorDirectory
{
    private readonly (string Name, byte[] Key)[] _operators;
    private readonly byte[]? _provisioningKey;

    public OperatorDirectory(IOptions<AuthOptions> options)
    {
        var auth = options.Value;
        _operators = auth.Operators
            .Where(o => !string.IsNullOrEmpty(o.Value))
            .Select(o => (o.Key, Encoding.UTF8.GetBytes(o.Value)))
            .ToArray();
        _provisioningKey = auth.OpenRegistration ? null : Encoding.UTF8.GetBytes(auth.ProvisioningKey!);
        AllowAnonymous = auth.AllowAnonymous;
    }

    public bool OpenRegistration => _provisioningKey is null;

    public bool AllowAnonymous { get; }

    public bool IsOperatorName(string? name) => name is not null && _operators.Any(o => o.Name == name);

    /// <summary>True when <paramref name="key"/> is the key of operator <paramref name="name"/>.</summary>
    public bool VerifyOperator(string name, string? key) =>
        key is not null && _operators.Any(o => o.Name == name && KeyEquals(o.Key, key));

    /// <summary>The operator whose key <paramref name="key"/> is, if any.</summary>
    public string? FindOperatorByKey(string? key)
    {
        if (string.IsNullOrEmpty(key))
        {
            return null;
        }

        string? found = null;
        foreach (var (name, expected) in _operators)
        {
            if (KeyEquals(expected, key))
            {
                found ??= name;
            }
        }

        return found;
    }

    public bool VerifyProvisioningKey(string? key) =>
        _provisioningKey is null || (key is not null && KeyEquals(_provisioningKey, key));

    private static bool KeyEquals(byte[] expected, string actual)
    {
        if (actual.Length > 1024)
        {
            return false;
        }

        Span<byte> buffer = stackalloc byte[Encoding.UTF8.GetMaxByteCount(actual.Length)];
        var length = Encoding.UTF8.GetBytes(actual, buffer);
        return CryptographicOperations.FixedTimeEquals(buffer[..length], expected);
    }
}
