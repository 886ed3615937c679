using System.Buffers;

namespace Orleans.IoT.Gateway.Routing;

/// <summary>The identifier rules of DESIGN §2.</summary>
public static class Identifiers
{
    public const int MaxDeviceIdLength = 128;
    public const int MaxIdentifierLength = 64;

    private static readonly SearchValues<char> Alphanumeric =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789");

    private static readonly SearchValues<char> DeviceIdChars =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.:-");

    private static readonly SearchValues<char> IdentifierChars =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-");

    /// <summary>Words that name routes and so cannot be device ids.</summary>
    public static readonly IReadOnlySet<string> RouteWords = new HashSet<string>(StringComparer.Ordinal)
    {
        "register", "unregister", "heartbeat", "data", "status", "control", "firmware",
        "commands", "config", "errors", "events", "alerts",
    };

    /// <summary><c>^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$</c>, and not a route word.</summary>
    public static bool IsDeviceId(ReadOnlySpan<char> value) =>
        value.Length is > 0 and <= MaxDeviceIdLength
        && Alphanumeric.Contains(value[0])
        && !value[1..].ContainsAnyExcept(DeviceIdChars)
        && !IsRouteWord(value);

    /// <summary><c>^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$</c>: sensor types, command, config and update ids.</summary>
    public static bool IsIdentifier(ReadOnlySpan<char> value) =>
        value.Length is > 0 and <= MaxIdentifierLength
        && Alphanumeric.Contains(value[0])
        && !value[1..].ContainsAnyExcept(IdentifierChars);

    private static bool IsRouteWord(ReadOnlySpan<char> value)
    {
        var lookup = ((HashSet<string>)RouteWords).GetAlternateLookup<ReadOnlySpan<char>>();
        return lookup.Contains(value);
    }
}
