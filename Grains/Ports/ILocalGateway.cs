namespace Orleans.IoT.Grains.Ports;

/// <summary>
/// The gateway co-hosted in this silo, reached by a method call rather than a grain call. Absent from a silo that hosts
/// no gateway (<c>Gateway:CoHosted=false</c>).
/// </summary>
public interface ILocalGateway : IDeviceEventPublisher
{
    /// <summary>Its <c>Gateway:Id</c>, as device callers carry it.</summary>
    string Id { get; }

    /// <summary>The external broker it shares with other gateways (<see cref="GatewayRegistration.SharedBroker"/>); null for an embedded one.</summary>
    string? SharedBroker { get; }

    ValueTask SendCommandAsync(CommandStatus command, CancellationToken cancellationToken);

    ValueTask SendConfigAsync(ConfigStatus update, CancellationToken cancellationToken);

    ValueTask SendFirmwareUpdateAsync(FirmwareStatus update, CancellationToken cancellationToken);
}
