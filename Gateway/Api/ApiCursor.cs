using System.Buffers.Text;
using System.Text;

namespace Orleans.IoT.Gateway.Api;

/// <summary>
/// The opaque cursor of a keyset-paged list: the last key of the page, base64url-encoded. It carries a position only,
/// no filter and no secret, so a client that makes one up can only start the list somewhere else; one that does not
/// decode to a key the caller accepts is refused.
/// </summary>
public static class ApiCursor
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static string Encode(string key) => Base64Url.EncodeToString(Encoding.UTF8.GetBytes(key));

    /// <summary>
    /// The key in <paramref name="cursor"/> when it is base64url of UTF-8 text of at most <paramref name="maxKeyLength"/>
    /// characters that <paramref name="isKey"/> accepts.
    /// </summary>
    public static bool TryDecode(string cursor, int maxKeyLength, Func<string, bool> isKey, out string key)
    {
        key = string.Empty;
        if (cursor.Length > Base64Url.GetEncodedLength(maxKeyLength * 4) || !Base64Url.IsValid(cursor, out var length))
        {
            return false;
        }

        var bytes = new byte[length];
        if (!Base64Url.TryDecodeFromChars(cursor, bytes, out var written))
        {
            return false;
        }

        try
        {
            key = StrictUtf8.GetString(bytes, 0, written);
        }
        catch (DecoderFallbackException)
        {
            return false;
        }

        return key.Length <= maxKeyLength && isKey(key);
    }
}
