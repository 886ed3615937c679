namespace Orleans.IoT.Gateway.Transport;

/// <summary>
/// Follows MQTT's framing over the bytes a connection delivers, whatever sizes they arrive in: a fixed-header
/// byte, the Remaining Length (1 to 4 bytes, 7 bits each, low bits first, the high bit meaning "more"), then that
/// many body bytes. It refuses a packet as soon as its size is known to exceed the limit, that is on the length byte
/// that shows it, before any of its body. Sizes are counted as MQTT 5's Maximum Packet Size counts them: the whole
/// packet, fixed header included. Per read it costs a few comparisons: body bytes are skipped in one step, and only
/// the 2 to 5 header bytes of each packet are looked at one by one. A mutable struct: keep it in a field, never copy it.
/// </summary>
public struct MqttFrameTracker
{
    private readonly int _maxPacketBytes;
    private int _bodyRemaining;
    private int _length;
    private int _lengthBytes;
    private bool _inLength;
    private bool _refused;

    public MqttFrameTracker(int maxPacketBytes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxPacketBytes, 2);
        _maxPacketBytes = maxPacketBytes;
    }

    /// <summary>Whether a packet has been refused; a refused tracker refuses everything after.</summary>
    public readonly bool Refused => _refused;

    /// <summary>
    /// The refused packet's size as far as it was known when refused (a lower bound when it was refused before its
    /// last length byte); 0 before a refusal.
    /// </summary>
    public int RefusedPacketBytes { readonly get; private set; }

    /// <summary>
    /// Takes the next bytes of the stream. False when they show a packet larger than the limit (or a Remaining Length
    /// longer than MQTT's four bytes): the connection must end without handing these bytes on.
    /// </summary>
    public bool Advance(ReadOnlySpan<byte> bytes)
    {
        if (_refused)
        {
            return false;
        }

        var i = 0;
        while (i < bytes.Length)
        {
            if (_bodyRemaining > 0)
            {
                var skipped = Math.Min(_bodyRemaining, bytes.Length - i);
                _bodyRemaining -= skipped;
                i += skipped;
                continue;
            }

            var b = bytes[i++];
            if (!_inLength)
            {
                // The fixed header's first byte (packet type and flags); the Remaining Length follows.
                _inLength = true;
                _length = 0;
                _lengthBytes = 0;
                continue;
            }

            _length |= (b & 0x7F) << (7 * _lengthBytes);
            _lengthBytes++;
            var packetBytes = 1 + _lengthBytes + _length;
            if ((b & 0x80) == 0)
            {
                if (packetBytes > _maxPacketBytes)
                {
                    return Refuse(packetBytes);
                }

                _inLength = false;
                _bodyRemaining = _length;
            }
            else if (_lengthBytes == 4 || packetBytes + 1 > _maxPacketBytes)
            {
                // Another length byte follows, so the packet is at least one byte longer than it looks so far.
                return Refuse(packetBytes + 1);
            }
        }

        return true;
    }

    private bool Refuse(int packetBytes)
    {
        _refused = true;
        RefusedPacketBytes = packetBytes;
        return false;
    }
}
