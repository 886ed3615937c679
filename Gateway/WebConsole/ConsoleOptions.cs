using System.ComponentModel.DataAnnotations;

namespace Orleans.IoT.Gateway.WebConsole;

/// <summary><c>Console:*</c>: the fleet console the gateway serves at <c>/</c>.</summary>
public sealed class ConsoleOptions
{
    public const string Section = "Console";

    /// <summary>Whether the gateway serves the console and its sign-in; the API's bearer keys work either way.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>How long a console session lasts without a request; each request extends it (sliding expiry).</summary>
    [Range(1, 10_080)]
    public int SessionMinutes { get; set; } = 60;

    /// <summary>How often a console page reads its data again.</summary>
    [Range(1, 3_600)]
    public int RefreshSeconds { get; set; } = 5;
}
