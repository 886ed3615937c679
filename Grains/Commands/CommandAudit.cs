using System.Text;
using System.Text.Json;

namespace Orleans.IoT.Grains.Commands;

/// <summary>What the audit keeps of a command's state: the command and its parameters, the device's result or error.</summary>
public static class CommandAudit
{
    public static string Detail(CommandStatus command)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            writer.WriteStartObject();
            writer.WriteString("command", command.Command);
            WriteRaw(writer, "parameters", command.ParametersJson);
            writer.WriteNumber("expires_at", command.ExpiresAt);
            WriteRaw(writer, "result", command.ResultJson);
            if (command.Error is not null)
            {
                writer.WriteString("error", command.Error);
            }

            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.GetBuffer(), 0, (int)stream.Length);
    }

    private static void WriteRaw(Utf8JsonWriter writer, string name, string? json)
    {
        if (json is not null)
        {
            writer.WritePropertyName(name);
            writer.WriteRawValue(json);
        }
    }
}
