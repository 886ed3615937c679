using System.Diagnostics.Metrics;

namespace Orleans.IoT.Grains;

/// <summary>
/// Devices online (meter <c>Orleans.IoT.Devices</c>, instrument <c>orleans_iot.devices.online</c>): those whose grain is active in this
/// silo with the device online. An online device's grain stays active until the device goes offline, so the sum
/// over the silos is the fleet's count.
/// </summary>
public sealed class PresenceMetrics : IDisposable
{
    public const string MeterName = "Orleans.IoT.Devices";

    private readonly Meter _meter;
    private long _online;

    public PresenceMetrics(IMeterFactory meterFactory)
    {
        _meter = meterFactory.Create(MeterName);
        _meter.CreateObservableUpDownCounter(
            "orleans_iot.devices.online", () => Volatile.Read(ref _online), "{device}", "Devices online whose grain is active in this silo");
    }

    public long Online => Volatile.Read(ref _online);

    public void CameOnline() => Interlocked.Increment(ref _online);

    public void WentOffline() => Interlocked.Decrement(ref _online);

    public void Dispose() => _meter.Dispose();
}
