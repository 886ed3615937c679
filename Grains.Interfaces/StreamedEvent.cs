namespace Orleans.IoT;

/// <summary>One fleet event, of whichever kind, for a gateway's event streams (<see cref="IGatewayObserver.Streamed"/>): exactly one part is set.</summary>
[GenerateSerializer, Immutable, Alias("iot.streamed-event")]
public sealed record StreamedEvent(
    [property: Id(0)] SensorReading? Reading = null,
    [property: Id(1)] PresenceChange? Presence = null,
    [property: Id(2)] CommandStatus? Command = null,
    [property: Id(3)] ConfigStatus? Config = null,
    [property: Id(4)] FirmwareStatus? Firmware = null,
    [property: Id(5)] Alert? Alert = null);
