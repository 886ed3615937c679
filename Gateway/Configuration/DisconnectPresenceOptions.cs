namespace Orleans.IoT.Gateway.Configuration;

/// <summary><c>Presence:OfflineOnDisconnect</c>: the gateway's part of presence (the grains read the rest of <c>Presence:*</c>).</summary>
public sealed class DisconnectPresenceOptions
{
    public const string Section = "Presence";

    /// <summary>A device whose connection closes is marked offline at once, not after <c>Presence:OfflineAfterSeconds</c> of silence.</summary>
    public bool OfflineOnDisconnect { get; set; } = true;
}
