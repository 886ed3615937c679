using Orleans.IoT.Gateway.Cluster;
using Orleans.IoT.Gateway.Messaging;

namespace Orleans.IoT.GatewayHost;

/// <summary>
/// The gateway lost its connection to a silo (it died, or stops): the device messages in flight are cancelled, so that
/// none waits for the client's response timeout on a call the dead silo will never answer (<see cref="InboundCalls"/>), and
/// the gateway renews its registration at once, since the directory grain may have died with the silo.
/// </summary>
public sealed partial class SiloConnectionLoss(InboundCalls calls, GatewayRegistrar registrar, ILogger<SiloConnectionLoss> logger)
{
    public void Lost(int connectedSilos)
    {
        LogLost(connectedSilos);
        calls.CancelInFlight();
        registrar.RenewNow();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Lost the connection to a silo ({ConnectedSilos} still connected): the device messages being handled are cancelled, unacknowledged, and their devices send them again")]
    private partial void LogLost(int connectedSilos);
}
