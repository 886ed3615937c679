using Orleans.Runtime;

namespace Orleans.IoT.Gateway.Handlers;

/// <summary>
/// Device grain references by device id. <see cref="IGrainFactory.GetGrain{T}(string, string?)"/> resolves the
/// interface's grain type by reflection on every call; this resolves it once.
/// </summary>
public sealed class DeviceGrains
{
    private readonly IGrainFactory _grains;
    private readonly Lazy<(GrainType Type, GrainInterfaceType Interface)> _types;

    public DeviceGrains(IGrainFactory grains)
    {
        _grains = grains;
        _types = new(() =>
        {
            var probe = (GrainReference)(object)grains.GetGrain<IDeviceGrain>("type-probe");
            return (probe.GrainId.Type, probe.InterfaceType);
        });
    }

    public IDeviceGrain Get(string deviceId)
    {
        var (type, interfaceType) = _types.Value;
        return (IDeviceGrain)_grains.GetGrain(GrainId.Create(type, deviceId), interfaceType);
    }
}
