namespace Orleans.IoT;

/// <summary>
/// One signed-in console session, shared by every gateway, so that an operator's browser may be sent to any of them.
/// Keyed by the SHA-256 of the session's key (never the key itself: grain ids show in logs and the dashboard).
/// </summary>
[Alias("iot.console-session")]
public interface IConsoleSessionGrain : IGrainWithStringKey
{
    /// <summary>Starts the session, or, with <paramref name="onlyIfPresent"/>, renews it only if it has not ended.</summary>
    [Alias("keep")]
    Task Keep(ConsoleSessionTicket ticket, bool onlyIfPresent);

    /// <summary>The session, or null once it has ended or expired.</summary>
    [Alias("read")]
    Task<ConsoleSessionTicket?> Read();

    /// <summary>Ends the session for good (sign-out).</summary>
    [Alias("end")]
    Task End();
}

/// <param name="Ticket">The ASP.NET Core authentication ticket, serialized by the gateway.</param>
/// <param name="ExpiresAt">When the session ends unless renewed before.</param>
[GenerateSerializer, Immutable, Alias("iot.console-session-ticket")]
public sealed record ConsoleSessionTicket([property: Id(0)] byte[] Ticket, [property: Id(1)] DateTimeOffset ExpiresAt);
