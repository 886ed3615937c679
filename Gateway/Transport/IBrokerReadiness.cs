namespace Orleans.IoT.Gateway.Transport;

/// <summary>Whether the transport can take devices' messages now: the embedded broker's listeners, or the external broker's subscriptions.</summary>
public interface IBrokerReadiness
{
    /// <summary>Null when ready; otherwise what is missing.</summary>
    string? NotReadyReason { get; }
}
