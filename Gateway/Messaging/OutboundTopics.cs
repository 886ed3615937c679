namespace Orleans.IoT.Gateway.Messaging;

/// <summary>The outbound topics of DESIGN §2.</summary>
public static class OutboundTopics
{
    public static string RegisterResponse(string deviceId) => $"iot/devices/{deviceId}/register/response";

    public static string RegisterError(string deviceId) => $"iot/devices/{deviceId}/register/error";

    public static string UnregisterResponse(string deviceId) => $"iot/devices/{deviceId}/unregister/response";

    public static string Errors(string deviceId) => $"iot/devices/{deviceId}/errors";

    public static string SensorData(string sensorType) => $"analytics/sensor_data/{sensorType}";

    public static string Presence(string deviceId) => $"iot/events/presence/{deviceId}";

    public static string Command(string deviceId, string commandId) => $"iot/devices/{deviceId}/commands/{commandId}";

    public static string CommandEvents(string deviceId, string commandId) => $"iot/events/commands/{deviceId}/{commandId}";

    public static string Config(string deviceId, string configId) => $"iot/devices/{deviceId}/config/{configId}";

    public static string ConfigEvents(string deviceId, string configId) => $"iot/events/config/{deviceId}/{configId}";

    public static string FirmwareUpdate(string deviceId, string updateId) => $"iot/devices/{deviceId}/firmware/update/{updateId}";

    public static string FirmwareEvents(string deviceId, string updateId) => $"iot/events/firmware/{deviceId}/{updateId}";

    /// <summary>Alerts raised and cleared; <paramref name="severity"/> is one of the fixed set, so it is a safe topic level.</summary>
    public static string Alert(string severity, string deviceId) => $"iot/alerts/{severity}/{deviceId}";
}
