using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using Orleans.IoT.Gateway.Configuration;

namespace Orleans.IoT.Gateway.Security;

/// <summary>
/// The configured operators and provisioning key. A key offered is compared with every operator's by its SHA-256, in
/// constant time, so that neither the time taken nor an early exit tells an operator's name or a key's length.
/// </summary>
public sealed class OperatorDirectory
{
    private readonly (string Name, byte[] Key)[] _operators;
    private readonly byte[]? _provisioningKey;

    public OperatorDirectory(IOptions<AuthOptions> options)
    {
        var auth = options.Value;
        _operators = auth.Operators
            .Where(o => !string.IsNullOrEmpty(o.Value))
            .Select(o => (o.Key, SHA256.HashData(Encoding.UTF8.GetBytes(o.Value))))
            .ToArray();
        _provisioningKey = auth.OpenRegistration ? null : SHA256.HashData(Encoding.UTF8.GetBytes(auth.ProvisioningKey!));
        AllowAnonymous = auth.AllowAnonymous;
    }

    public bool OpenRegistration => _provisioningKey is null;

    public bool AllowAnonymous { get; }

    public bool IsOperatorName(string? name) => name is not null && _operators.Any(o => o.Name == name);

    /// <summary>True when <paramref name="key"/> is the key of operator <paramref name="name"/>.</summary>
    public bool VerifyOperator(string name, string? key)
    {
        if (key is null)
        {
            return false;
        }

        Span<byte> offered = stackalloc byte[SHA256.HashSizeInBytes];
        if (!TryHash(key, offered))
        {
            return false;
        }

        var verified = false;
        foreach (var (operatorName, expected) in _operators)
        {
            verified |= CryptographicOperations.FixedTimeEquals(offered, expected) & operatorName == name;
        }

        return verified;
    }

    /// <summary>The operator whose key <paramref name="key"/> is, if any.</summary>
    public string? FindOperatorByKey(string? key)
    {
        if (string.IsNullOrEmpty(key))
        {
            return null;
        }

        Span<byte> offered = stackalloc byte[SHA256.HashSizeInBytes];
        if (!TryHash(key, offered))
        {
            return null;
        }

        string? found = null;
        foreach (var (name, expected) in _operators)
        {
            if (CryptographicOperations.FixedTimeEquals(offered, expected))
            {
                found ??= name;
            }
        }

        return found;
    }

    public bool VerifyProvisioningKey(string? key) =>
        _provisioningKey is null || (key is not null && KeyEquals(_provisioningKey, key));

    private static bool KeyEquals(byte[] expectedHash, string actual)
    {
        Span<byte> offered = stackalloc byte[SHA256.HashSizeInBytes];
        return TryHash(actual, offered) && CryptographicOperations.FixedTimeEquals(offered, expectedHash);
    }

    /// <summary>The SHA-256 of a key offered; false for one longer than any key is.</summary>
    private static bool TryHash(string key, Span<byte> hash)
    {
        if (key.Length > 1024)
        {
            return false;
        }

        Span<byte> buffer = stackalloc byte[Encoding.UTF8.GetMaxByteCount(key.Length)];
        var length = Encoding.UTF8.GetBytes(key, buffer);
        SHA256.HashData(buffer[..length], hash);
        return true;
    }
}
