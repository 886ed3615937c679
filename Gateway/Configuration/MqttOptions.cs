using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Orleans.IoT.Gateway.Configuration;

/// <summary><c>Mqtt:*</c> settings.</summary>
public sealed class MqttOptions
{
    public const string Section = "Mqtt";
    public const string EmbeddedMode = "Embedded";
    public const string ExternalMode = "External";

    /// <summary><c>Embedded</c>: the gateway is the broker. <c>External</c>: the gateway is a client of <see cref="External"/>.</summary>
    [RegularExpression("^(Embedded|External)$", ErrorMessage = "Mqtt:Mode must be 'Embedded' (the gateway hosts the broker) or 'External' (the gateway is a client of Mqtt:External)")]
    public string Mode { get; set; } = EmbeddedMode;

    public bool IsExternal => Mode == ExternalMode;

    [ValidateObjectMembers]
    public MqttExternalOptions External { get; set; } = new();

    /// <summary>The address the embedded broker binds; <c>0.0.0.0</c> for every interface.</summary>
    public string BindAddress { get; set; } = "0.0.0.0";

    /// <summary>The plain (unencrypted) MQTT port; 0 switches plain MQTT off, leaving <see cref="TlsPort"/> alone.</summary>
    [Range(0, 65535)]
    public int Port { get; set; } = 1883;

    /// <summary>The MQTT over TLS port (8883 is MQTT's own); 0, the default, switches TLS off. Needs <c>Mqtt:Tls:CertificatePath</c>.</summary>
    [Range(0, 65535)]
    public int TlsPort { get; set; }

    [ValidateObjectMembers]
    public MqttTlsOptions Tls { get; set; } = new();

    /// <summary>Larger payloads are refused with <c>payload_too_large</c>.</summary>
    [Range(64, 16 * 1024 * 1024)]
    public int MaxPayloadBytes { get; set; } = 64 * 1024;

    /// <summary>
    /// Room in a packet beyond its payload: fixed header, topic, packet id and properties (Response Topic,
    /// Correlation Data, user properties such as <c>auth_token</c>). The system's own topics take under 300 bytes.
    /// </summary>
    public const int PacketHeadroomBytes = 8 * 1024;

    /// <summary>
    /// The largest MQTT packet the embedded broker reads, counted as MQTT 5's Maximum Packet Size counts it (the
    /// whole packet, fixed header included): <see cref="MaxPayloadBytes"/> + <see cref="PacketHeadroomBytes"/>. A
    /// longer packet ends its connection before its body is read; the CONNACK advertises this value. A payload
    /// between the two limits is read and refused with <c>payload_too_large</c>.
    /// </summary>
    public int MaxPacketBytes => MaxPayloadBytes + PacketHeadroomBytes;

    /// <summary>Outbound messages queued per client before the oldest are dropped.</summary>
    [Range(10, 1_000_000)]
    public int MaxPendingMessagesPerClient { get; set; } = 1000;

    /// <summary>
    /// CONNECT attempts accepted for one client id per <see cref="ConnectWindowSeconds"/>; more are refused with
    /// Connection rate exceeded (0x9F) before any authentication.
    /// </summary>
    [Range(1, 1_000_000)]
    public int MaxConnectsPerClientId { get; set; } = 30;

    /// <summary>The window of <see cref="MaxConnectsPerClientId"/>; it starts at a client id's first CONNECT.</summary>
    [Range(1, 86_400)]
    public int ConnectWindowSeconds { get; set; } = 60;

    /// <summary>QoS of <c>analytics/sensor_data/...</c> republishes; responses, errors and events use QoS 1.</summary>
    [Range(0, 2)]
    public int AnalyticsQos { get; set; }
}
