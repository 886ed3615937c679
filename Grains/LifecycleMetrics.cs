using System.Diagnostics.Metrics;

namespace Orleans.IoT.Grains;

/// <summary>
/// States reached by commands, configuration updates and firmware updates (meter <c>Orleans.IoT.Lifecycles</c>,
/// counter <c>orleans_iot.lifecycle.transitions</c> by <c>kind</c> and <c>state</c>): for example the commands that
/// succeeded, expired or wait queued, counted as they get there.
/// </summary>
public sealed class LifecycleMetrics : IDisposable
{
    public const string MeterName = "Orleans.IoT.Lifecycles";

    private readonly Meter _meter;
    private readonly Counter<long> _transitions;

    public LifecycleMetrics(IMeterFactory meterFactory)
    {
        _meter = meterFactory.Create(MeterName);
        _transitions = _meter.CreateCounter<long>(
            "orleans_iot.lifecycle.transitions", "{transition}", "Commands, configuration and firmware updates reaching a state, by kind and state");
    }

    public void Transition(string kind, string state) =>
        _transitions.Add(1, new KeyValuePair<string, object?>("kind", kind), new KeyValuePair<string, object?>("state", state));

    public void Dispose() => _meter.Dispose();
}
