using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using Orleans.IoT.Gateway.Routing;

namespace Orleans.IoT.Gateway.Messaging;

/// <summary>
/// Turns a payload's JSON object into a typed request, checking every field the contract names.
/// Unknown fields are ignored (status reports keep them). Each reader returns false with a message
/// that names the offending field.
/// </summary>
public static partial class RequestReader
{
    public const int MaxTextLength = 256;
    public const int MaxCapabilities = 64;

    /// <summary>The earliest Unix time a reading may carry: 2000-01-01 (DESIGN §2 input rules).</summary>
    public const double MinTimestamp = 946_684_800;

    private static readonly HashSet<string> CredentialFields = new(StringComparer.Ordinal) { "auth_token", "provision_key" };

    public static bool TryReadRegistration(JsonElement json, [NotNullWhen(true)] out RegisterRequest? request, [NotNullWhen(false)] out string? error)
    {
        request = null;
        if (!TryRequiredText(json, "name", out var name, out error)
            || !TryRequiredText(json, "type", out var type, out error)
            || !TryOptionalText(json, "firmware_version", out var firmware, out error)
            || !TryOptionalText(json, "hardware_version", out var hardware, out error)
            || !TryOptionalText(json, "location", out var location, out error)
            || !TryCapabilities(json, out var capabilities, out error))
        {
            return false;
        }

        request = new RegisterRequest(name, type, firmware, hardware, location, capabilities);
        return true;
    }

    public static bool TryReadMetrics(JsonElement json, [NotNullWhen(true)] out DeviceMetrics? metrics, [NotNullWhen(false)] out string? error)
    {
        metrics = null;
        if (!TryOptionalNumber(json, "battery_level", out var battery, out error)
            || !TryOptionalNumber(json, "signal_strength", out var signal, out error)
            || !TryOptionalNumber(json, "memory_usage", out var memory, out error)
            || !TryOptionalNumber(json, "cpu_usage", out var cpu, out error))
        {
            return false;
        }

        metrics = new DeviceMetrics(battery, signal, memory, cpu);
        return true;
    }

    public static bool TryReadStatus(JsonElement json, [NotNullWhen(true)] out StatusReport? report, [NotNullWhen(false)] out string? error)
    {
        report = null;
        if (!TryRequiredText(json, "status", out var status, out error))
        {
            return false;
        }

        string? extra = null;
        if (json.EnumerateObject().Any(p => p.Name != "status" && !CredentialFields.Contains(p.Name)))
        {
            using var stream = new MemoryStream();
            using (var writer = new Utf8JsonWriter(stream))
            {
                writer.WriteStartObject();
                foreach (var property in json.EnumerateObject())
                {
                    if (property.Name != "status" && !CredentialFields.Contains(property.Name))
                    {
                        property.WriteTo(writer);
                    }
                }

                writer.WriteEndObject();
            }

            extra = System.Text.Encoding.UTF8.GetString(stream.GetBuffer(), 0, (int)stream.Length);
        }

        report = new StatusReport(status, extra);
        return true;
    }

    /// <summary>A reading; its timestamp must lie between <see cref="MinTimestamp"/> and <paramref name="receivedAt"/> plus <paramref name="maxClockSkewSeconds"/>.</summary>
    public static bool TryReadReading(
        JsonElement json,
        string deviceId,
        string sensorType,
        double receivedAt,
        double maxClockSkewSeconds,
        [NotNullWhen(true)] out SensorReading? reading,
        [NotNullWhen(false)] out string? error)
    {
        reading = null;
        if (!json.TryGetProperty("value", out var valueElement) || valueElement.ValueKind == JsonValueKind.Null)
        {
            error = "'value' is required";
            return false;
        }

        if (valueElement.ValueKind != JsonValueKind.Number || !valueElement.TryGetDouble(out var value) || !double.IsFinite(value))
        {
            error = "'value' must be a finite number";
            return false;
        }

        if (!TryOptionalText(json, "unit", out var unit, out error)
            || !TryOptionalText(json, "quality", out var quality, out error)
            || !TryOptionalNumber(json, "timestamp", out var timestamp, out error))
        {
            return false;
        }

        if (timestamp < MinTimestamp || timestamp > receivedAt + maxClockSkewSeconds)
        {
            error = $"'timestamp' must be Unix seconds from {MinTimestamp} (2000-01-01) to at most {maxClockSkewSeconds} s after receipt";
            return false;
        }

        reading = new SensorReading(deviceId, sensorType, value, unit, timestamp ?? receivedAt, quality ?? "good");
        return true;
    }

    /// <summary>The longest time to live a command may have: 30 days.</summary>
    public const int MaxCommandTtlSeconds = 2_592_000;

    public const int DefaultCommandTtlSeconds = 3600;

    public static bool TryReadCommand(JsonElement json, [NotNullWhen(true)] out CommandRequest? request, [NotNullWhen(false)] out string? error)
    {
        request = null;
        if (!TryRequiredText(json, "command", out var command, out error)
            || !TryOptionalObject(json, "parameters", out var parameters, out error)
            || !TryOptionalNumber(json, "ttl_seconds", out var ttl, out error)
            || !TryOptionalText(json, "command_id", out var commandId, out error))
        {
            return false;
        }

        if (ttl is { } seconds && (seconds != Math.Floor(seconds) || seconds is < 1 or > MaxCommandTtlSeconds))
        {
            error = $"'ttl_seconds' must be a whole number of seconds from 1 to {MaxCommandTtlSeconds}";
            return false;
        }

        if (commandId is not null && !Identifiers.IsIdentifier(commandId))
        {
            error = "'command_id' must match ^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$";
            return false;
        }

        request = new CommandRequest(commandId, command, parameters, (int)(ttl ?? DefaultCommandTtlSeconds));
        return true;
    }

    public static bool TryReadCommandReport(JsonElement json, [NotNullWhen(true)] out CommandReport? report, [NotNullWhen(false)] out string? error)
    {
        report = null;
        if (!TryRequiredText(json, "status", out var status, out error) || !TryOptionalText(json, "error", out var failure, out error))
        {
            return false;
        }

        if (!CommandStates.IsReportable(status))
        {
            error = "'status' must be delivered, succeeded, failed or rejected";
            return false;
        }

        var result = json.TryGetProperty("result", out var element) && element.ValueKind != JsonValueKind.Null ? element.GetRawText() : null;
        report = new CommandReport(status, result, failure);
        return true;
    }

    public static bool TryReadConfigUpdate(JsonElement json, [NotNullWhen(true)] out ConfigUpdate? update, [NotNullWhen(false)] out string? error)
    {
        update = null;
        if (!TryOptionalObject(json, "config", out var config, out error) || !TryOptionalText(json, "config_id", out var configId, out error))
        {
            return false;
        }

        if (config is null || json.GetProperty("config").GetPropertyCount() == 0)
        {
            error = "'config' must be a non-empty object";
            return false;
        }

        if (configId is not null && !Identifiers.IsIdentifier(configId))
        {
            error = "'config_id' must match ^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$";
            return false;
        }

        update = new ConfigUpdate(configId, config);
        return true;
    }

    public static bool TryReadConfigReport(JsonElement json, [NotNullWhen(true)] out ConfigReport? report, [NotNullWhen(false)] out string? error)
    {
        report = null;
        if (!TryRequiredText(json, "status", out var status, out error)
            || !TryOptionalObject(json, "reported", out var reported, out error)
            || !TryOptionalText(json, "error", out var failure, out error))
        {
            return false;
        }

        if (!ConfigStates.IsReportable(status))
        {
            error = "'status' must be applied or rejected";
            return false;
        }

        report = new ConfigReport(status, reported, failure);
        return true;
    }

    /// <summary>The longest firmware <c>url</c>.</summary>
    public const int MaxFirmwareUrlLength = 2048;

    private const string Sha256Prefix = "sha256:";

    /// <summary>An operator's firmware update; its checksum comes back as <c>sha256:</c> and 64 lowercase hex digits.</summary>
    public static bool TryReadFirmwareUpdate(JsonElement json, [NotNullWhen(true)] out FirmwareRequest? request, [NotNullWhen(false)] out string? error)
    {
        request = null;
        if (!TryRequiredText(json, "version", out var version, out error)
            || !TryFirmwareUrl(json, out var url, out error)
            || !TryRequiredText(json, "checksum", out var checksum, out error)
            || !TryOptionalText(json, "update_id", out var updateId, out error))
        {
            return false;
        }

        if (NormalisedSha256(checksum) is not { } normalised)
        {
            error = "'checksum' must be sha256:<64 hex digits> or 64 hex digits";
            return false;
        }

        if (updateId is not null && !Identifiers.IsIdentifier(updateId))
        {
            error = "'update_id' must match ^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$";
            return false;
        }

        request = new FirmwareRequest(updateId, version, url, normalised);
        return true;
    }

    public static bool TryReadFirmwareProgress(JsonElement json, [NotNullWhen(true)] out FirmwareProgress? progress, [NotNullWhen(false)] out string? error)
    {
        progress = null;
        if (!TryRequiredText(json, "state", out var state, out error)
            || !TryOptionalNumber(json, "progress", out var percent, out error)
            || !TryOptionalText(json, "error", out var failure, out error))
        {
            return false;
        }

        if (!FirmwareStates.IsReportable(state))
        {
            error = "'state' must be downloading, downloaded, verified, updating, updated or failed";
            return false;
        }

        if (percent is < 0 or > 100)
        {
            error = "'progress' must be a number from 0 to 100";
            return false;
        }

        progress = new FirmwareProgress(state, percent, failure);
        return true;
    }

    /// <summary>A required absolute http or https URL, well formed (no raw spaces), of at most <see cref="MaxFirmwareUrlLength"/> characters.</summary>
    private static bool TryFirmwareUrl(JsonElement json, [NotNullWhen(true)] out string? url, [NotNullWhen(false)] out string? error)
    {
        url = null;
        error = null;
        if (!json.TryGetProperty("url", out var element) || element.ValueKind == JsonValueKind.Null
            || (element.ValueKind == JsonValueKind.String && string.IsNullOrWhiteSpace(element.GetString())))
        {
            error = "'url' is required";
            return false;
        }

        if (element.ValueKind != JsonValueKind.String
            || element.GetString() is not { Length: <= MaxFirmwareUrlLength } text
            || !Uri.IsWellFormedUriString(text, UriKind.Absolute)
            || !Uri.TryCreate(text, UriKind.Absolute, out var uri)
            || uri.Scheme is not ("http" or "https")
            || string.IsNullOrEmpty(uri.Host))
        {
            error = $"'url' must be an absolute http or https URL of at most {MaxFirmwareUrlLength} characters";
            return false;
        }

        url = text;
        return true;
    }

    /// <summary><c>sha256:</c> (any case) and 64 hex digits, or the 64 hex digits alone, as <c>sha256:</c> and lowercase hex; null otherwise.</summary>
    private static string? NormalisedSha256(string checksum)
    {
        var hex = checksum.StartsWith(Sha256Prefix, StringComparison.OrdinalIgnoreCase) ? checksum[Sha256Prefix.Length..] : checksum;
        return hex.Length == 64 && hex.All(char.IsAsciiHexDigit) ? Sha256Prefix + hex.ToLowerInvariant() : null;
    }

    /// <summary>A string field, or null when absent or JSON null.</summary>
    public static string? OptionalString(JsonElement json, string name) =>
        json.TryGetProperty(name, out var element) && element.ValueKind == JsonValueKind.String ? element.GetString() : null;

    /// <param name="path">Where the object sits in the payload (<c>rules[0].</c>), for naming the field; empty at the top.</param>
    private static bool TryRequiredText(JsonElement json, string name, [NotNullWhen(true)] out string? value, [NotNullWhen(false)] out string? error, string path = "")
    {
        if (!TryOptionalText(json, name, out value, out error, path))
        {
            return false;
        }

        if (string.IsNullOrWhiteSpace(value))
        {
            error = $"'{path}{name}' is required";
            value = null;
            return false;
        }

        return true;
    }

    private static bool TryOptionalText(JsonElement json, string name, out string? value, [NotNullWhen(false)] out string? error, string path = "")
    {
        value = null;
        error = null;
        if (!json.TryGetProperty(name, out var element) || element.ValueKind == JsonValueKind.Null)
        {
            return true;
        }

        if (element.ValueKind != JsonValueKind.String)
        {
            error = $"'{path}{name}' must be a string";
            return false;
        }

        value = element.GetString()!;
        if (value.Length > MaxTextLength)
        {
            error = $"'{path}{name}' must be at most {MaxTextLength} characters";
            value = null;
            return false;
        }

        return true;
    }

    /// <summary>An object field as JSON text, or null when absent or JSON null.</summary>
    private static bool TryOptionalObject(JsonElement json, string name, out string? value, [NotNullWhen(false)] out string? error)
    {
        value = null;
        error = null;
        if (!json.TryGetProperty(name, out var element) || element.ValueKind == JsonValueKind.Null)
        {
            return true;
        }

        if (element.ValueKind != JsonValueKind.Object)
        {
            error = $"'{name}' must be an object";
            return false;
        }

        value = element.GetRawText();
        return true;
    }

    private static bool TryOptionalNumber(JsonElement json, string name, out double? value, [NotNullWhen(false)] out string? error, string path = "")
    {
        value = null;
        error = null;
        if (!json.TryGetProperty(name, out var element) || element.ValueKind == JsonValueKind.Null)
        {
            return true;
        }

        if (element.ValueKind != JsonValueKind.Number || !element.TryGetDouble(out var number) || !double.IsFinite(number))
        {
            error = $"'{path}{name}' must be a finite number";
            return false;
        }

        value = number;
        return true;
    }

    private static bool TryCapabilities(JsonElement json, out IReadOnlyList<string> capabilities, [NotNullWhen(false)] out string? error)
    {
        capabilities = [];
        error = null;
        if (!json.TryGetProperty("capabilities", out var element) || element.ValueKind == JsonValueKind.Null)
        {
            return true;
        }

        if (element.ValueKind != JsonValueKind.Array || element.GetArrayLength() > MaxCapabilities)
        {
            error = $"'capabilities' must be an array of at most {MaxCapabilities} strings";
            return false;
        }

        var list = new List<string>(element.GetArrayLength());
        foreach (var item in element.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String || item.GetString() is not { Length: > 0 and <= MaxTextLength } capability)
            {
                error = $"'capabilities' must hold non-empty strings of at most {MaxTextLength} characters";
                return false;
            }

            list.Add(capability);
        }

        capabilities = list;
        return true;
    }
}
