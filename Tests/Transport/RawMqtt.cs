using System.Text;

namespace Orleans.IoT.Tests.Transport;

/// <summary>MQTT packets encoded by hand, for tests that must send what no client library would.</summary>
public static class RawMqtt
{
    /// <summary>An MQTT 5 CONNECT with clean start, no credentials and no properties.</summary>
    public static byte[] Connect5(string clientId, ushort keepAliveSeconds = 60)
    {
        var body = new List<byte>();
        WriteString(body, "MQTT");
        body.Add(5);
        body.Add(0x02); // clean start
        body.Add((byte)(keepAliveSeconds >> 8));
        body.Add((byte)keepAliveSeconds);
        body.Add(0); // no properties
        WriteString(body, clientId);
        return [0x10, .. MqttFrameTrackerTests.EncodeLength(body.Count), .. body];
    }

    /// <summary>The fixed header of a QoS 1 PUBLISH claiming <paramref name="remainingLength"/> body bytes.</summary>
    public static byte[] PublishHeader(int remainingLength) => [0x32, .. MqttFrameTrackerTests.EncodeLength(remainingLength)];

    /// <summary>MQTT's largest Remaining Length, 268,435,455 bytes (256 MiB less one), as 0xFF 0xFF 0xFF 0x7F.</summary>
    public const int LargestRemainingLength = 268_435_455;

    /// <summary>MQTT 5 DISCONNECT with reason code 0x95, Packet too large, and no properties, as MQTTnet encodes it.</summary>
    public static readonly byte[] DisconnectPacketTooLarge = [0xE0, 0x02, 0x95, 0x00];

    private static void WriteString(List<byte> body, string value)
    {
        var bytes = Encoding.UTF8.GetBytes(value);
        body.Add((byte)(bytes.Length >> 8));
        body.Add((byte)bytes.Length);
        body.AddRange(bytes);
    }
}
