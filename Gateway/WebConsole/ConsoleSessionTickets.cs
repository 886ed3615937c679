using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;

namespace Orleans.IoT.Gateway.WebConsole;

/// <summary>
/// The console's sessions, each by a random key that is all its cookie holds (<see cref="SessionKeyCookieFormat"/>),
/// stored in the cluster (<see cref="IConsoleSessionGrain"/>): a session signed in on one gateway holds on every other,
/// and one signed out (or expired) is gone everywhere, so its cookie no longer opens anything.
/// </summary>
public sealed class ConsoleSessionTickets(IGrainFactory grains) : ITicketStore
{
    /// <summary>256 random bits, base64url (43 characters: the cookie's whole value).</summary>
    public static string NewKey() => Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));

    public Task<string> StoreAsync(AuthenticationTicket ticket) => StoreAsync(ticket, CancellationToken.None);

    public async Task<string> StoreAsync(AuthenticationTicket ticket, CancellationToken cancellationToken)
    {
        var key = NewKey();
        await Session(key).Keep(Stored(ticket), onlyIfPresent: false).WaitAsync(cancellationToken);
        return key;
    }

    public Task RenewAsync(string key, AuthenticationTicket ticket) => RenewAsync(key, ticket, CancellationToken.None);

    /// <summary>Only a session that still exists: a request in flight when its operator signed out must not bring it back.</summary>
    public Task RenewAsync(string key, AuthenticationTicket ticket, CancellationToken cancellationToken) =>
        Session(key).Keep(Stored(ticket), onlyIfPresent: true).WaitAsync(cancellationToken);

    public Task<AuthenticationTicket?> RetrieveAsync(string key) => RetrieveAsync(key, CancellationToken.None);

    public async Task<AuthenticationTicket?> RetrieveAsync(string key, CancellationToken cancellationToken) =>
        await Session(key).Read().WaitAsync(cancellationToken) is { } stored
            ? TicketSerializer.Default.Deserialize(stored.Ticket)
            : null;

    public Task RemoveAsync(string key) => RemoveAsync(key, CancellationToken.None);

    public Task RemoveAsync(string key, CancellationToken cancellationToken) => Session(key).End().WaitAsync(cancellationToken);

    private IConsoleSessionGrain Session(string key) =>
        grains.GetGrain<IConsoleSessionGrain>(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key))));

    private static ConsoleSessionTicket Stored(AuthenticationTicket ticket) =>
        new(TicketSerializer.Default.Serialize(ticket), ticket.Properties.ExpiresUtc ?? DateTimeOffset.MaxValue);
}
