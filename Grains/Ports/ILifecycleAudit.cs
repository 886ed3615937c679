namespace Orleans.IoT.Grains.Ports;

/// <summary>Where the grains record every state their lifecycles (commands, config, firmware) pass through.</summary>
public interface ILifecycleAudit
{
    /// <summary>
    /// Records the entry. The adapter may queue it and write entries in batches, retrying until they are stored; a
    /// store failure never fails the caller.
    /// </summary>
    ValueTask RecordAsync(LifecycleAuditEntry entry, CancellationToken cancellationToken);
}
