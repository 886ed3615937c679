namespace Orleans.IoT;

/// <summary>
/// The fleet-wide topics a gateway has subscribers for, so that their events are sent only to the gateways that could
/// deliver them. A gateway errs towards "someone might receive it".
/// </summary>
[Flags]
public enum FleetInterest
{
    None = 0,

    /// <summary><c>analytics/...</c>: every stored reading.</summary>
    Analytics = 1,

    /// <summary><c>iot/events/...</c>: presence, command, config and firmware events.</summary>
    Events = 2,

    /// <summary><c>iot/alerts/...</c>.</summary>
    Alerts = 4,

    All = Analytics | Events | Alerts,
}
