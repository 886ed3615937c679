using System.Security.Cryptography;
using System.Text;

namespace Orleans.IoT.Grains;

/// <summary>Device tokens: 256 random bits handed out once; only their SHA-256 is kept.</summary>
public static class DeviceToken
{
    private const int MaxTokenLength = 256;

    public static string Create() =>
        Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static byte[] Hash(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));

    public static bool Matches(string? token, byte[]? storedHash)
    {
        if (token is null || token.Length > MaxTokenLength || storedHash is null || storedHash.Length != SHA256.HashSizeInBytes)
        {
            return false;
        }

        Span<byte> utf8 = stackalloc byte[MaxTokenLength * 3];
        Span<byte> actual = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(utf8[..Encoding.UTF8.GetBytes(token, utf8)], actual);
        return CryptographicOperations.FixedTimeEquals(actual, storedHash);
    }
}
