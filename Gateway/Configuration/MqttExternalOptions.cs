using System.ComponentModel.DataAnnotations;

namespace Orleans.IoT.Gateway.Configuration;

/// <summary>
/// <c>Mqtt:External:*</c>: the broker the gateway is a client of when <c>Mqtt:Mode</c> is <c>External</c>, and how it
/// takes its share of the devices' messages (<see cref="Transport.ExternalBroker"/>).
/// </summary>
public sealed class MqttExternalOptions
{
    public const string Section = "Mqtt:External";

    [Required(ErrorMessage = "Mqtt:External:Host is required")]
    public string Host { get; set; } = "localhost";

    [Range(1, 65535, ErrorMessage = "Mqtt:External:Port must be between 1 and 65535")]
    public int Port { get; set; } = 1883;

    /// <summary>
    /// The shared-subscription group (<c>$share/{group}/...</c>): the broker gives each message to one gateway of the
    /// group. Every replica of one deployment uses the same group.
    /// </summary>
    [RegularExpression("^[^/+#]+$", ErrorMessage = "Mqtt:External:SharedGroup must be a non-empty name without '/', '+' or '#'")]
    public string SharedGroup { get; set; } = "orleans-iot";

    /// <summary>
    /// This replica's client id. The broker keeps the gateway's session (its subscriptions and its unacknowledged
    /// messages) under it, so it must be stable across restarts and differ between replicas: empty means
    /// <c>orleans-iot-gateway-{host name}</c>, which a StatefulSet's pod name makes both.
    /// </summary>
    [RegularExpression("^[A-Za-z0-9_.:-]{0,128}$", ErrorMessage = "Mqtt:External:ClientId may hold only letters, digits and _ . : - (at most 128)")]
    public string? ClientId { get; set; }

    /// <summary>The gateway's own account at the broker (see <c>deploy/mosquitto/acl</c>); empty connects without one.</summary>
    public string? Username { get; set; }

    public string? Password { get; set; }

    /// <summary>
    /// Messages handled at once. It is also the Receive Maximum the gateway announces, so the broker never has more
    /// unacknowledged QoS 1 and 2 messages out to this replica.
    /// </summary>
    [Range(1, 65535, ErrorMessage = "Mqtt:External:MaxInFlight must be between 1 and 65535")]
    public int MaxInFlight { get; set; } = 256;

    /// <summary>
    /// How long the broker keeps this replica's session while it is away, with the messages it had not acknowledged
    /// and those that arrive meanwhile.
    /// </summary>
    [Range(1, int.MaxValue, ErrorMessage = "Mqtt:External:SessionExpirySeconds must be at least 1")]
    public int SessionExpirySeconds { get; set; } = 3600;

    /// <summary>The first wait before reconnecting; it doubles on every failed attempt, up to <see cref="MaxReconnectDelaySeconds"/>.</summary>
    [Range(0.01, 3600, ErrorMessage = "Mqtt:External:ReconnectDelaySeconds must be between 0.01 and 3600")]
    public double ReconnectDelaySeconds { get; set; } = 1;

    [Range(0.01, 3600, ErrorMessage = "Mqtt:External:MaxReconnectDelaySeconds must be between 0.01 and 3600")]
    public double MaxReconnectDelaySeconds { get; set; } = 30;

    /// <summary>How long a connection attempt may take before it counts as failed.</summary>
    [Range(1, 600, ErrorMessage = "Mqtt:External:ConnectTimeoutSeconds must be between 1 and 600")]
    public int ConnectTimeoutSeconds { get; set; } = 10;

    public string EffectiveClientId =>
        string.IsNullOrEmpty(ClientId) ? $"orleans-iot-gateway-{Environment.MachineName}" : ClientId;
}
