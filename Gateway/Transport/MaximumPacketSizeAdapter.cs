using System.Net;
using System.Security.Cryptography.X509Certificates;
using MQTTnet.Adapter;
using MQTTnet.Formatter;
using MQTTnet.Packets;

namespace Orleans.IoT.Gateway.Transport;

/// <summary>
/// A broker connection's <see cref="IMqttChannelAdapter"/>: <see cref="MqttChannelAdapter"/> as it is, except that the
/// CONNACK it sends advertises the broker's Maximum Packet Size (MQTT 5 property 39; MQTTnet's server leaves it at 0,
/// "no limit", and MQTT 3.1.1 has no such field). Every other packet costs one type test.
/// </summary>
public sealed class MaximumPacketSizeAdapter(IMqttChannelAdapter inner, uint maximumPacketSize) : IMqttChannelAdapter
{
    public IMqttChannelAdapter Inner => inner;

    public long BytesReceived => inner.BytesReceived;

    public long BytesSent => inner.BytesSent;

    public X509Certificate2 ClientCertificate => inner.ClientCertificate;

    public EndPoint RemoteEndPoint => inner.RemoteEndPoint;

    public EndPoint LocalEndPoint => inner.LocalEndPoint;

    public bool IsSecureConnection => inner.IsSecureConnection;

    public MqttPacketFormatterAdapter PacketFormatterAdapter => inner.PacketFormatterAdapter;

    public Task ConnectAsync(CancellationToken cancellationToken) => inner.ConnectAsync(cancellationToken);

    public Task DisconnectAsync(CancellationToken cancellationToken) => inner.DisconnectAsync(cancellationToken);

    public Task<MqttPacket> ReceivePacketAsync(CancellationToken cancellationToken) => inner.ReceivePacketAsync(cancellationToken);

    public void ResetStatistics() => inner.ResetStatistics();

    public Task SendPacketAsync(MqttPacket packet, CancellationToken cancellationToken)
    {
        if (packet is MqttConnAckPacket connAck)
        {
            connAck.MaximumPacketSize = maximumPacketSize;
        }

        return inner.SendPacketAsync(packet, cancellationToken);
    }

    public void Dispose() => inner.Dispose();
}
