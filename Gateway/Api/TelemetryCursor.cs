using System.Buffers.Binary;
using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace Orleans.IoT.Gateway.Api;

/// <summary>
/// Where a walk through one sensor's history goes on (<c>next_cursor</c>): the query it belongs to (its range and
/// bucket width) and the time the next page starts at, all in microseconds since the Unix epoch, as base64url. A check
/// over these and the device and sensor makes a cursor that was altered, cut short or taken to another series fail to
/// read. The check is not a secret: a cursor can only ask for what its query could ask for anyway.
/// </summary>
/// <param name="WidthSeconds">The bucket width; 0 for raw readings.</param>
public readonly record struct TelemetryCursor(long From, long To, long WidthSeconds, long Resume)
{
    private const byte Version = 1;
    private const int FieldsLength = 1 + 4 * sizeof(long);
    private const int CheckLength = 8;
    private const int Length = FieldsLength + CheckLength;

    private static readonly long Origin = SensorHistory.Microseconds(SensorHistory.BucketOrigin);
    private static readonly long Latest = SensorHistory.Microseconds(DateTimeOffset.MaxValue);

    public static int EncodedLength { get; } = Base64Url.GetEncodedLength(Length);

    public string Encode(string deviceId, string sensorType)
    {
        Span<byte> cursor = stackalloc byte[Length];
        WriteFields(cursor);
        Check(cursor[..FieldsLength], deviceId, sensorType, cursor[FieldsLength..]);
        return Base64Url.EncodeToString(cursor);
    }

    /// <summary>Reads a cursor of this device and sensor; false for anything else, and for a position outside its range.</summary>
    public static bool TryDecode(string text, string deviceId, string sensorType, out TelemetryCursor cursor)
    {
        cursor = default;
        Span<byte> bytes = stackalloc byte[Length];
        if (text.Length != EncodedLength
            || !Base64Url.IsValid(text)
            || Base64Url.DecodeFromChars(text, bytes) != Length
            || bytes[0] != Version)
        {
            return false;
        }

        Span<byte> check = stackalloc byte[CheckLength];
        Check(bytes[..FieldsLength], deviceId, sensorType, check);
        if (!CryptographicOperations.FixedTimeEquals(check, bytes[FieldsLength..]))
        {
            return false;
        }

        var read = new TelemetryCursor(
            BinaryPrimitives.ReadInt64BigEndian(bytes[1..]),
            BinaryPrimitives.ReadInt64BigEndian(bytes[9..]),
            BinaryPrimitives.ReadInt64BigEndian(bytes[17..]),
            BinaryPrimitives.ReadInt64BigEndian(bytes[25..]));
        if (read.From < Origin || read.From > read.Resume || read.Resume >= read.To || read.To > Latest
            || read.WidthSeconds < 0 || read.WidthSeconds > (long)SensorHistory.MaxBucket.TotalSeconds)
        {
            return false;
        }

        cursor = read;
        return true;
    }

    private void WriteFields(Span<byte> bytes)
    {
        bytes[0] = Version;
        BinaryPrimitives.WriteInt64BigEndian(bytes[1..], From);
        BinaryPrimitives.WriteInt64BigEndian(bytes[9..], To);
        BinaryPrimitives.WriteInt64BigEndian(bytes[17..], WidthSeconds);
        BinaryPrimitives.WriteInt64BigEndian(bytes[25..], Resume);
    }

    /// <summary>The first bytes of SHA-256 over the fields, the device id and the sensor type (identifiers: ASCII, bounded).</summary>
    private static void Check(ReadOnlySpan<byte> fields, string deviceId, string sensorType, Span<byte> check)
    {
        Span<byte> input = stackalloc byte[FieldsLength + deviceId.Length + 1 + sensorType.Length];
        fields.CopyTo(input);
        var written = FieldsLength + Encoding.ASCII.GetBytes(deviceId, input[FieldsLength..]);
        input[written++] = 0;
        Encoding.ASCII.GetBytes(sensorType, input[written..]);
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(input, hash);
        hash[..CheckLength].CopyTo(check);
    }
}
