using System.Text;
using System.Text.Json;

namespace Orleans.IoT.Grains.Config;

/// <summary>What the audit keeps of a configuration update's state: its version, what was sent, the device's error.</summary>
public static class ConfigAudit
{
    public static string Detail(ConfigStatus update)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            writer.WriteStartObject();
            writer.WriteNumber("version", update.Version);
            writer.WritePropertyName("updates");
            writer.WriteRawValue(update.UpdatesJson);
            if (update.Error is not null)
            {
                writer.WriteString("error", update.Error);
            }

            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.GetBuffer(), 0, (int)stream.Length);
    }
}
