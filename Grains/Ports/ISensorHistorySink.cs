namespace Orleans.IoT.Grains.Ports;

/// <summary>Where sensor readings are kept. A reading resent with the same device timestamp is stored once.</summary>
public interface ISensorHistorySink
{
    /// <summary>
    /// Completes when the reading is durably stored (as durable as the provider is). Fails with
    /// <see cref="PassingFaultException"/> when the store stays unreachable (the reading may be sent again), and with
    /// <see cref="ReadingRefusedException"/> when the store refuses this reading itself.
    /// </summary>
    ValueTask AppendAsync(SensorReading reading, CancellationToken cancellationToken);
}
