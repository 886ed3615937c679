using Orleans.IoT.Gateway.Routing;

namespace Orleans.IoT.Gateway.Security;

/// <summary>
/// Which topics a session may subscribe to (and so name as an MQTT 5 response topic), by DESIGN §2 "Sessions and
/// replies": operators anything; a device its own subtree <c>iot/devices/{id}/...</c>; a provisioning or anonymous
/// session only filters that match nothing but one device's registration replies (<c>iot/devices/{id}/register/</c>
/// then <c>response</c>, <c>error</c>, <c>+</c> or <c>#</c>).
/// </summary>
public static class TopicAccessPolicy
{
    public const string DevicesPrefix = "iot/devices/";

    private static readonly string[] RegistrationReplies = ["register/response", "register/error", "register/+", "register/#"];

    public static bool CanSubscribe(Caller session, string filter)
    {
        switch (session.Kind)
        {
            case CallerKind.Operator:
                return true;
            case CallerKind.Device:
                var own = $"{DevicesPrefix}{session.Name}/";
                return filter.Length > own.Length && filter.StartsWith(own, StringComparison.Ordinal) && IsWellFormedFilter(filter);
            default:
                return IsRegistrationReply(filter);
        }
    }

    /// <summary>Topics the system publishes or routes; only routes may be published to there.</summary>
    public static bool IsReserved(string topic) =>
        topic.StartsWith("iot/", StringComparison.Ordinal)
        || topic.StartsWith("analytics/", StringComparison.Ordinal)
        || topic.StartsWith('$');

    private static bool IsRegistrationReply(string filter)
    {
        if (!filter.StartsWith(DevicesPrefix, StringComparison.Ordinal))
        {
            return false;
        }

        var rest = filter.AsSpan(DevicesPrefix.Length);
        var slash = rest.IndexOf('/');
        if (slash <= 0 || !Identifiers.IsDeviceId(rest[..slash]))
        {
            return false;
        }

        var reply = rest[(slash + 1)..];
        foreach (var allowed in RegistrationReplies)
        {
            if (reply.SequenceEqual(allowed))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>MQTT's own rules: <c>#</c> only as the whole last level, <c>+</c> only as a whole level.</summary>
    private static bool IsWellFormedFilter(string filter)
    {
        var levels = filter.Split('/');
        for (var i = 0; i < levels.Length; i++)
        {
            var level = levels[i];
            if (level.Contains('#') && (level != "#" || i != levels.Length - 1))
            {
                return false;
            }

            if (level.Contains('+') && level != "+")
            {
                return false;
            }
        }

        return true;
    }
}
