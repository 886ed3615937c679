namespace Orleans.IoT.Gateway.Live;

/// <summary>The <c>event:</c> names of a live event stream: one per kind of fleet event, and the stream's own end.</summary>
public static class LiveEventKinds
{
    /// <summary><c>iot/events/presence/...</c>.</summary>
    public const string Presence = "presence";

    /// <summary><c>iot/events/commands/...</c>.</summary>
    public const string Command = "command";

    /// <summary><c>iot/events/config/...</c>.</summary>
    public const string Config = "config";

    /// <summary><c>iot/events/firmware/...</c>.</summary>
    public const string Firmware = "firmware";

    /// <summary><c>iot/alerts/...</c>.</summary>
    public const string Alert = "alert";

    /// <summary><c>analytics/sensor_data/...</c>, only on a stream opened for the reading's device.</summary>
    public const string Reading = "reading";

    /// <summary>The stream fell behind and ends; the browser reconnects.</summary>
    public const string Overflow = "overflow";
}
