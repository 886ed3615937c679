using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using Orleans.IoT.Gateway.Configuration;

namespace Orleans.IoT.Gateway.Messaging;

/// <summary>The outbound payloads of DESIGN §2, written straight to UTF-8 JSON.</summary>
public static class Payloads
{
    // Payloads go to MQTT clients, not into HTML: keep apostrophes and non-ASCII text readable.
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static byte[] RegisterResponse(string deviceId, string token, double timestamp, DeviceServerConfigOptions config) =>
        Write(w =>
        {
            w.WriteString("status", "registered");
            w.WriteString("device_id", deviceId);
            w.WriteString("auth_token", token);
            w.WriteNumber("timestamp", timestamp);
            w.WriteStartObject("server_config");
            w.WriteNumber("heartbeat_interval", config.HeartbeatInterval);
            w.WriteNumber("data_reporting_interval", config.DataReportingInterval);
            w.WriteNumber("max_retry_attempts", config.MaxRetryAttempts);
            w.WriteEndObject();
        });

    public static byte[] UnregisterResponse(string deviceId, double timestamp) =>
        Write(w =>
        {
            w.WriteString("status", "unregistered");
            w.WriteString("device_id", deviceId);
            w.WriteNumber("timestamp", timestamp);
        });

    /// <summary><c>register/error</c> and response-topic errors: <c>status: "error"</c> with the code.</summary>
    public static byte[] Error(string code, string message, string topic, double timestamp, double? retryAfter) =>
        Write(w =>
        {
            w.WriteString("status", "error");
            w.WriteString("code", code);
            w.WriteString("message", message);
            w.WriteString("topic", topic);
            w.WriteNumber("timestamp", timestamp);
            if (retryAfter is { } seconds)
            {
                w.WriteNumber("retry_after", seconds);
            }
        });

    /// <summary>A handler's plain acknowledgement, as the seed's handlers return it.</summary>
    public static byte[] Acknowledged(string status, double timestamp) =>
        Write(w =>
        {
            w.WriteString("status", status);
            w.WriteNumber("timestamp", timestamp);
        });

    public static byte[] SensorData(SensorReading reading) =>
        Write(w =>
        {
            w.WriteString("device_id", reading.DeviceId);
            w.WriteString("sensor_type", reading.SensorType);
            w.WriteNumber("value", reading.Value);
            if (reading.Unit is null)
            {
                w.WriteNull("unit");
            }
            else
            {
                w.WriteString("unit", reading.Unit);
            }

            w.WriteNumber("timestamp", reading.Timestamp);
            w.WriteString("quality", reading.Quality);
        });

    public static byte[] Presence(string deviceId, bool online, string reason, double timestamp) =>
        Write(w =>
        {
            w.WriteString("device_id", deviceId);
            w.WriteString("status", online ? "online" : "offline");
            w.WriteString("reason", reason);
            w.WriteNumber("timestamp", timestamp);
        });

    /// <summary>The command as its device gets it (DESIGN §2).</summary>
    public static byte[] Command(CommandStatus command) =>
        Write(w =>
        {
            w.WriteString("command_id", command.CommandId);
            w.WriteString("command", command.Command);
            w.WritePropertyName("parameters");
            w.WriteRawValue(command.ParametersJson ?? "{}");
            w.WriteNumber("timestamp", command.UpdatedAt);
            w.WriteNumber("expires_at", command.ExpiresAt);
        });

    /// <summary>A command's state, for operators: on its events topic and as the reply to the operator who sent it.</summary>
    public static byte[] CommandState(CommandStatus command) =>
        Write(w =>
        {
            w.WriteString("device_id", command.DeviceId);
            w.WriteString("command_id", command.CommandId);
            w.WriteString("command", command.Command);
            w.WriteString("status", command.State);
            w.WriteNumber("created_at", command.CreatedAt);
            w.WriteNumber("expires_at", command.ExpiresAt);
            w.WriteNumber("timestamp", command.UpdatedAt);
            if (command.ResultJson is not null)
            {
                w.WritePropertyName("result");
                w.WriteRawValue(command.ResultJson);
            }

            if (command.Error is not null)
            {
                w.WriteString("error", command.Error);
            }
        });

    /// <summary>A configuration update as its device gets it (DESIGN §2).</summary>
    public static byte[] Config(ConfigStatus update) =>
        Write(w =>
        {
            w.WriteString("config_id", update.ConfigId);
            w.WritePropertyName("updates");
            w.WriteRawValue(update.UpdatesJson);
            w.WriteNumber("version", update.Version);
            w.WriteNumber("timestamp", update.UpdatedAt);
        });

    /// <summary>A configuration update's state, for operators: on its events topic and as the reply to the operator.</summary>
    public static byte[] ConfigState(ConfigStatus update) =>
        Write(w =>
        {
            w.WriteString("device_id", update.DeviceId);
            w.WriteString("config_id", update.ConfigId);
            w.WriteNumber("version", update.Version);
            w.WriteString("status", update.State);
            w.WriteNumber("timestamp", update.UpdatedAt);
            if (update.Error is not null)
            {
                w.WriteString("error", update.Error);
            }
        });

    /// <summary>The firmware update as its device gets it (DESIGN §2).</summary>
    public static byte[] FirmwareUpdate(FirmwareStatus update) =>
        Write(w =>
        {
            w.WriteString("update_id", update.UpdateId);
            w.WriteString("version", update.Version);
            w.WriteString("url", update.Url);
            w.WriteString("checksum", update.Checksum);
            w.WriteNumber("timestamp", update.UpdatedAt);
        });

    /// <summary>A firmware update's state, for operators: on its events topic and as the reply to the operator who started it.</summary>
    public static byte[] FirmwareState(FirmwareStatus update) =>
        Write(w =>
        {
            w.WriteString("device_id", update.DeviceId);
            w.WriteString("update_id", update.UpdateId);
            w.WriteString("version", update.Version);
            w.WriteString("url", update.Url);
            w.WriteString("checksum", update.Checksum);
            w.WriteString("status", update.State);
            if (update.Progress is { } progress)
            {
                w.WriteNumber("progress", progress);
            }

            w.WriteNumber("created_at", update.CreatedAt);
            w.WriteNumber("timestamp", update.UpdatedAt);
            if (update.Error is not null)
            {
                w.WriteString("error", update.Error);
            }
        });

    /// <summary>An alert raised (<c>state: "active"</c>) or cleared, for operators (DESIGN §2); times are Unix seconds.</summary>
    public static byte[] Alert(Alert alert) =>
        Write(w =>
        {
            w.WriteString("alert_id", alert.AlertId);
            w.WriteString("device_id", alert.DeviceId);
            w.WriteString("rule", alert.Rule);
            w.WriteString("sensor_type", alert.SensorType);
            w.WriteNumber("value", alert.Value);
            w.WriteNumber("threshold", alert.Threshold);
            w.WriteString("severity", alert.Severity);
            w.WriteString("state", alert.State);
            w.WriteNumber("timestamp", alert.ChangedAt.ToUnixTimeMilliseconds() / 1000.0);
            w.WriteNumber("raised_at", alert.RaisedAt.ToUnixTimeMilliseconds() / 1000.0);
        });

    /// <summary>The fleet's alert rules in force, each with its resolved id: the reply to an operator who set or asked for them.</summary>
    public static byte[] AlertRules(AlertRuleSet rules) =>
        Write(w =>
        {
            w.WriteNumber("version", rules.Version);
            w.WriteStartArray("rules");
            foreach (var rule in rules.Rules)
            {
                w.WriteStartObject();
                w.WriteString("id", rule.Id);
                w.WriteString("sensor_type", rule.SensorType);
                if (rule.DeviceType is not null)
                {
                    w.WriteString("device_type", rule.DeviceType);
                }

                w.WriteString("operator", rule.Operator);
                w.WriteNumber("threshold", rule.Threshold!.Value);
                w.WriteString("severity", rule.Severity);
                if (rule.ClearThreshold is { } clearThreshold)
                {
                    w.WriteNumber("clear_threshold", clearThreshold);
                }

                w.WriteEndObject();
            }

            w.WriteEndArray();
        });

    /// <summary>The reply to an operator who acknowledged an alert.</summary>
    public static byte[] AlertAcknowledged(string alertId) =>
        Write(w =>
        {
            w.WriteString("alert_id", alertId);
            w.WriteBoolean("acknowledged", true);
        });

    private static byte[] Write(Action<Utf8JsonWriter> body)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            writer.WriteStartObject();
            body(writer);
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }
}
