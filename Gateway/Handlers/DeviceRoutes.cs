using Orleans.IoT.Gateway.Middleware;
using Orleans.IoT.Gateway.Routing;

namespace Orleans.IoT.Gateway.Handlers;

/// <summary>The route table of DESIGN §2.</summary>
public static class DeviceRoutes
{
    public const string Register = "register";

    /// <param name="middleware">Every route's, in order.</param>
    /// <param name="deviceMessages">After <paramref name="middleware"/>, on the routes of a device's own messages, which its message rate limit counts.</param>
    public static TopicRouter Build(
        DeviceHandlers handlers,
        CommandHandlers commands,
        ConfigHandlers config,
        FirmwareHandlers firmware,
        AlertHandlers alerts,
        IReadOnlyList<IMessageMiddleware> middleware,
        IReadOnlyList<IMessageMiddleware> deviceMessages)
    {
        var router = CreateRouter();
        router.Group("iot/devices", middleware, devices =>
        {
            // Device lifecycle
            devices.On("register/{device_id}", handlers.Register, qos: 1, publisher: CallerKind.Provisioning, name: Register);
            devices.On("unregister/{device_id}", handlers.Unregister, qos: 1, publisher: CallerKind.Device, name: "unregister");

            // Operators' commands, configuration and firmware updates
            devices.On("control/{device_id}/command", commands.Send, qos: 2, publisher: CallerKind.Operator, name: "command");
            devices.On("control/{device_id}/config", config.Update, qos: 2, publisher: CallerKind.Operator, name: "config");
            devices.On("firmware/{device_id}/update", firmware.Update, qos: 2, publisher: CallerKind.Operator, name: "firmware-update");

            // Operators' alert rules and acknowledgements: "alerts" is a route word, so these are no device's topics
            devices.On("alerts/rules", alerts.SetRules, qos: 1, publisher: CallerKind.Operator, name: "alert-rules");
            devices.On("alerts/rules/get", alerts.GetRules, qos: 1, publisher: CallerKind.Operator, name: "alert-rules-get");
            devices.On("alerts/{alert_id}/acknowledge", alerts.Acknowledge, qos: 1, publisher: CallerKind.Operator, name: "alert-acknowledge");

            // A device's own messages, which its message rate limit counts
            devices.Group(string.Empty, deviceMessages, device =>
            {
                device.On("heartbeat/{device_id}", handlers.Heartbeat, qos: 0, publisher: CallerKind.Device, name: "heartbeat");
                device.On("data/{device_id}/{sensor_type}", handlers.SensorData, qos: 1, publisher: CallerKind.Device, name: "data");
                device.On("status/{device_id}", handlers.Status, qos: 1, publisher: CallerKind.Device, name: "status");
                device.On("control/{device_id}/command/{command_id}/result", commands.Result, qos: 1, publisher: CallerKind.Device, name: "command-result");
                device.On("control/{device_id}/config/{config_id}/result", config.Result, qos: 1, publisher: CallerKind.Device, name: "config-result");
                device.On("firmware/{device_id}/update/{update_id}/progress", firmware.Progress, qos: 1, publisher: CallerKind.Device, name: "firmware-progress");
            });
        });
        return router;
    }

    /// <summary>A router that checks <c>{device_id}</c> and every other identifier by DESIGN §2.</summary>
    public static TopicRouter CreateRouter() => new(
        new Dictionary<string, ParameterRule> { ["device_id"] = Identifiers.IsDeviceId },
        Identifiers.IsIdentifier);
}
