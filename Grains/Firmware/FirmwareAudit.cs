using System.Text;
using System.Text.Json;

namespace Orleans.IoT.Grains.Firmware;

/// <summary>What the audit keeps of a firmware update's state: the firmware it installs, the device's progress or error.</summary>
public static class FirmwareAudit
{
    /// <summary>The audit's <see cref="LifecycleAuditEntry.Kind"/> for firmware updates.</summary>
    public const string Kind = LifecycleAuditKinds.Firmware;

    public static string Detail(FirmwareStatus update)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            writer.WriteStartObject();
            writer.WriteString("version", update.Version);
            writer.WriteString("url", update.Url);
            writer.WriteString("checksum", update.Checksum);
            if (update.Progress is { } progress)
            {
                writer.WriteNumber("progress", progress);
            }

            if (update.Error is not null)
            {
                writer.WriteString("error", update.Error);
            }

            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.GetBuffer(), 0, (int)stream.Length);
    }
}
