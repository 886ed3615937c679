namespace Orleans.IoT.Grains.Console;

/// <summary>A console session as stored: absent (null ticket) once it ended.</summary>
[GenerateSerializer, Alias("iot.console-session-state")]
public sealed class ConsoleSessionState
{
    [Id(0)]
    public ConsoleSessionTicket? Session { get; set; }
}
