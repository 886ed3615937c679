using System.ComponentModel.DataAnnotations;

namespace Orleans.IoT.Gateway.Configuration;

/// <summary>
/// The <c>RateLimit:*</c> settings a gateway enforces by itself, per MQTT client or per device, each in windows of
/// <see cref="WindowSeconds"/> (the device grain's window too). Per gateway: a session lives on one gateway, so the
/// per-client limit is exact there.
/// </summary>
public sealed class GatewayRateLimitOptions
{
    public const string Section = "RateLimit";

    [Range(1, 86_400)]
    public int WindowSeconds { get; set; } = 60;

    /// <summary>Registrations one MQTT client may ask for (operators are not limited); more are refused without a grain call.</summary>
    [Range(1, int.MaxValue)]
    public int MaxRegistrationsPerClient { get; set; } = 10;

    /// <summary>
    /// Refusals copied to a device's <c>errors</c> (or <c>register/error</c>) topic, counted apart for its own session and
    /// for every other sender; further refusals still get their acknowledgement and Response Topic reply.
    /// </summary>
    [Range(1, int.MaxValue)]
    public int MaxErrorPublicationsPerDevice { get; set; } = 100;

    /// <summary>
    /// Wrong operator keys (HTTP: the API's Bearer or Basic key, the console's sign-in) one client address may present
    /// per window; past them, every key it presents is refused 429 until the window ends, a right one included.
    /// </summary>
    [Range(1, int.MaxValue)]
    public int MaxFailedOperatorKeysPerAddress { get; set; } = 10;
}
