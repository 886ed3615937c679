using Microsoft.Extensions.Options;
using Orleans.IoT.Grains.Alerts;
using Orleans.IoT.Grains.Commands;
using Orleans.IoT.Grains.Firmware;
using Orleans.IoT.Grains.Ports;
using Orleans.Runtime;

namespace Orleans.IoT.Grains;

/// <summary>
/// What every device grain uses from its silo: ports, options, metrics and the clock, in one object per silo. A grain
/// keeps one reference to it rather than one per service, which saves their pointers in each of a silo's (up to a
/// million) device grains.
/// </summary>
public sealed class DeviceGrainServices(
    ISensorHistorySink history,
    IDeviceCatalog catalog,
    IDeviceEventPublisher events,
    IDeviceOutbound outbound,
    ILifecycleAudit audit,
    LifecycleMetrics lifecycleMetrics,
    AlertRuleBook alertRules,
    IAlertStore alertStore,
    PresenceMetrics presenceMetrics,
    WriteBehindFlush writeBehindFlush,
    Gateways.GatewayDevices gatewayDevices,
    TimeProvider clock,
    ILocalSiloDetails silo,
    IOptions<PresenceOptions> presence,
    IOptions<RateLimitOptions> rateLimit,
    IOptions<WriteBehindOptions> writeBehind,
    IOptions<CommandOptions> commands,
    IOptions<FirmwareOptions> firmware)
{
    public ISensorHistorySink History { get; } = history;

    public IDeviceCatalog Catalog { get; } = catalog;

    public IDeviceEventPublisher Events { get; } = events;

    public IDeviceOutbound Outbound { get; } = outbound;

    /// <summary>Which gateway holds each active device's connection, on this silo.</summary>
    public Gateways.GatewayDevices GatewayDevices { get; } = gatewayDevices;

    /// <summary>Counts a state a command, config or firmware update reached, and records it in the audit.</summary>
    public ValueTask RecordTransitionAsync(LifecycleAuditEntry entry, CancellationToken cancellationToken)
    {
        lifecycleMetrics.Transition(entry.Kind, entry.State);
        return audit.RecordAsync(entry, cancellationToken);
    }

    public AlertRuleBook AlertRules { get; } = alertRules;

    public IAlertStore AlertStore { get; } = alertStore;

    public PresenceMetrics PresenceMetrics { get; } = presenceMetrics;

    public WriteBehindFlush WriteBehindFlush { get; } = writeBehindFlush;

    public TimeProvider Clock { get; } = clock;

    public ILocalSiloDetails Silo { get; } = silo;

    public PresenceOptions Presence { get; } = presence.Value;

    public RateLimitOptions RateLimit { get; } = rateLimit.Value;

    public WriteBehindOptions WriteBehind { get; } = writeBehind.Value;

    public CommandOptions Commands { get; } = commands.Value;

    public FirmwareOptions Firmware { get; } = firmware.Value;
}
