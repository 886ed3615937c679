namespace Orleans.IoT.Grains.Ports;

/// <summary>Where the grains record their alerts as they are raised and cleared.</summary>
public interface IAlertStore
{
    /// <summary>
    /// Records the alert as it now stands (raised, or cleared). The adapter may queue it and write alerts in batches,
    /// retrying until they are stored; a store failure never fails the caller.
    /// </summary>
    ValueTask RecordAsync(Alert alert, CancellationToken cancellationToken);
}
