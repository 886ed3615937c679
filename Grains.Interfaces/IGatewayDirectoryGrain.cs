using System.Collections.Immutable;
using Orleans.Concurrency;

namespace Orleans.IoT;

/// <summary>
/// The cluster's live gateways (one grain per cluster, key <see cref="Key"/>). Each gateway renews its registration
/// every few seconds; one that stops renewing (it died) expires.
/// </summary>
[Alias("iot.gateway-directory")]
public interface IGatewayDirectoryGrain : IGrainWithIntegerKey
{
    public const long Key = 0;

    /// <summary>Adds the gateway or renews it, with what its subscribers want now.</summary>
    [Alias("register")]
    Task Register(GatewayRegistration registration);

    [Alias("unregister")]
    Task Unregister(string gatewayId);

    /// <summary>
    /// Whether the gateway unregistered lately (it stopped cleanly), as against expiring (it died): a stopping gateway's
    /// devices reconnect elsewhere and are not marked offline, like its own closes (README "Presence").
    /// </summary>
    [Alias("left-cleanly"), ReadOnly]
    Task<bool> LeftCleanly(string gatewayId);

    /// <summary>The gateways that renewed within the expiry.</summary>
    [Alias("gateways"), ReadOnly]
    Task<ImmutableArray<GatewayRegistration>> GetGateways();
}

/// <param name="Id">The gateway's id, unique in the cluster (<c>Gateway:Id</c>).</param>
/// <param name="Interest">The fleet-wide topics its subscribers may receive.</param>
/// <param name="SharedBroker">
/// The external broker it is a client of (<c>Mqtt:External</c> host and port), which other gateways may share, so that a
/// fleet event published by one of them reaches every subscriber there; null for an embedded broker, its own alone.
/// </param>
/// <param name="StreamInterest">
/// Behind a shared broker, what its operators' open event streams carry (<see cref="Interest"/> is then its broker's
/// subscribers alone): a gateway that is not the one publishing an event to the broker is sent it for its streams only
/// (<see cref="IGatewayObserver.Streamed"/>). With an embedded broker, streams count in <see cref="Interest"/>.
/// </param>
/// <param name="OfflineOnDisconnect">
/// Whether its devices go offline when their connection closes (<c>Presence:OfflineOnDisconnect</c>, embedded broker):
/// then they also go offline when the gateway dies with their connections.
/// </param>
/// <param name="WatchedDevices">
/// The devices whose readings its operators' open event streams carry (a device page each): each of their readings is
/// sent to it for its streams (<see cref="IGatewayObserver.Streamed"/>), rather than every reading of the fleet.
/// </param>
[GenerateSerializer, Immutable, Alias("iot.gateway-registration")]
public sealed record GatewayRegistration(
    [property: Id(0)] string Id,
    [property: Id(1)] IGatewayObserver Observer,
    [property: Id(2)] FleetInterest Interest,
    [property: Id(3)] string? SharedBroker = null,
    [property: Id(4)] FleetInterest StreamInterest = FleetInterest.None,
    [property: Id(5)] IReadOnlyList<string>? WatchedDevices = null,
    [property: Id(6)] bool OfflineOnDisconnect = true)
{
    /// <summary>Equal when every part is, the watched devices by their ids in order (each renewal carries a new list).</summary>
    public bool Equals(GatewayRegistration? other) =>
        other is not null && Id == other.Id && Equals(Observer, other.Observer) && Interest == other.Interest
        && SharedBroker == other.SharedBroker && StreamInterest == other.StreamInterest && OfflineOnDisconnect == other.OfflineOnDisconnect
        && (WatchedDevices ?? []).SequenceEqual(other.WatchedDevices ?? []);

    public override int GetHashCode() => HashCode.Combine(Id, Interest, SharedBroker, StreamInterest, WatchedDevices?.Count ?? 0);
}
