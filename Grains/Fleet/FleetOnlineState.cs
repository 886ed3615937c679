namespace Orleans.IoT.Grains.Fleet;

/// <summary>The samples of devices online kept so far, oldest first.</summary>
[GenerateSerializer, Alias("iot.fleet-online-state")]
public sealed class FleetOnlineState
{
    [Id(0)] public List<FleetOnlineSample> Samples { get; set; } = [];
}
