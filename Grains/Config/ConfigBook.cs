using System.Text.Json;
using System.Text.Json.Nodes;

namespace Orleans.IoT.Grains.Config;

/// <summary>
/// The rules of a device's configuration twin (DESIGN §3), as pure transitions over <see cref="ConfigState"/>. An
/// update is a JSON merge patch (RFC 7396: objects merge, <c>null</c> removes a key) of the desired configuration and
/// bumps its version. A device that missed updates gets one message: the whole desired configuration under the latest
/// update's id. Its answer moves that update to <c>applied</c> or <c>rejected</c>; the configuration it reports
/// (or, if it reports none, the update it applied merged into what it reported before) becomes the reported one.
/// </summary>
public sealed class ConfigBook(ConfigState state)
{
    /// <summary>Updates kept to answer a repeated id and to take a late answer.</summary>
    public const int RememberedUpdates = 20;

    public (ConfigRecord Update, bool IsNew) Apply(ConfigUpdate update, string newId, double now)
    {
        if (update.ConfigId is { } id && Find(id) is { } known)
        {
            return (known, false);
        }

        state.DesiredJson = MergePatch(state.DesiredJson, update.UpdatesJson);
        state.DesiredVersion++;
        var record = new ConfigRecord { Id = update.ConfigId ?? newId, Version = state.DesiredVersion, UpdatesJson = update.UpdatesJson, UpdatedAt = now };
        state.Updates.Add(record);
        if (state.Updates.Count > RememberedUpdates)
        {
            state.Updates.RemoveAt(0);
        }

        return (record, true);
    }

    public ConfigRecord? Find(string configId) => state.Updates.Find(u => u.Id == configId);

    /// <summary>Whether an update waits to be sent; asked on every message, so it is static over the state and allocates nothing.</summary>
    public static bool HasPending(ConfigState state)
    {
        foreach (var update in state.Updates)
        {
            if (update.State == ConfigStates.Pending)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// What a device that missed updates is sent: the newest update, carrying the whole desired configuration; the
    /// older pending ones are covered by it.
    /// </summary>
    public ConfigRecord CatchUp(double now)
    {
        var latest = state.Updates[^1];
        foreach (var pending in state.Updates.Where(u => u.State == ConfigStates.Pending))
        {
            pending.State = ConfigStates.Sent;
            pending.UpdatedAt = now;
        }

        latest.UpdatesJson = state.DesiredJson;
        return latest;
    }

    /// <summary>Sends a new update to a device that is online: as it is, or as a catch-up when earlier ones are still pending.</summary>
    public ConfigRecord Send(ConfigRecord update, double now)
    {
        if (state.Updates.Exists(u => u.State == ConfigStates.Pending && u != update))
        {
            return CatchUp(now);
        }

        update.State = ConfigStates.Sent;
        update.UpdatedAt = now;
        return update;
    }

    public DeviceResult Report(string configId, ConfigReport report, double now)
    {
        if (Find(configId) is not { } update)
        {
            return DeviceResult.Refused(ErrorCodes.ValidationFailed, "the device has no such configuration update");
        }

        if (update.State != ConfigStates.Sent)
        {
            return DeviceResult.Refused(ErrorCodes.ValidationFailed, $"a configuration update that is {update.State} takes no answer");
        }

        update.State = report.Status;
        update.UpdatedAt = now;
        update.Error = report.Error;
        if (report.ReportedJson is not null)
        {
            state.ReportedJson = report.ReportedJson;
            state.ReportedVersion = Math.Max(state.ReportedVersion, update.Version);
        }
        else if (report.Status == ConfigStates.Applied)
        {
            state.ReportedJson = MergePatch(state.ReportedJson ?? "{}", update.UpdatesJson);
            state.ReportedVersion = Math.Max(state.ReportedVersion, update.Version);
        }

        return DeviceResult.Ok;
    }

    public ConfigTwin Twin(string deviceId) => new(
        deviceId,
        state.DesiredJson,
        state.DesiredVersion,
        state.ReportedJson,
        state.ReportedVersion,
        Delta(state.DesiredJson, state.ReportedJson ?? "{}"),
        [.. state.Updates.Select(u => u.ToStatus(deviceId))]);

    /// <summary>RFC 7396 merge patch of two JSON objects.</summary>
    public static string MergePatch(string targetJson, string patchJson)
    {
        var target = JsonNode.Parse(targetJson)!.AsObject();
        Merge(target, JsonNode.Parse(patchJson)!.AsObject());
        return target.ToJsonString();
    }

    /// <summary>The desired values the reported configuration does not hold (nested objects compared key by key).</summary>
    public static string Delta(string desiredJson, string reportedJson)
    {
        using var desired = JsonDocument.Parse(desiredJson);
        using var reported = JsonDocument.Parse(reportedJson);
        return Difference(desired.RootElement, reported.RootElement).ToJsonString();
    }

    private static void Merge(JsonObject target, JsonObject patch)
    {
        foreach (var (name, value) in patch.ToList())
        {
            if (value is null)
            {
                target.Remove(name);
            }
            else if (value is JsonObject patchObject && target[name] is JsonObject targetObject)
            {
                Merge(targetObject, patchObject);
            }
            else
            {
                target[name] = value.DeepClone();
            }
        }
    }

    private static JsonObject Difference(JsonElement desired, JsonElement reported)
    {
        var delta = new JsonObject();
        foreach (var property in desired.EnumerateObject())
        {
            if (!reported.TryGetProperty(property.Name, out var current))
            {
                delta[property.Name] = JsonNode.Parse(property.Value.GetRawText());
            }
            else if (property.Value.ValueKind == JsonValueKind.Object && current.ValueKind == JsonValueKind.Object)
            {
                var nested = Difference(property.Value, current);
                if (nested.Count > 0)
                {
                    delta[property.Name] = nested;
                }
            }
            else if (!JsonElement.DeepEquals(property.Value, current))
            {
                delta[property.Name] = JsonNode.Parse(property.Value.GetRawText());
            }
        }

        return delta;
    }
}
