using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.Extensions.Caching.Memory;

namespace Orleans.IoT.Gateway.WebConsole;

/// <summary>
/// The console sessions of this gateway, by a random key that is all the cookie holds: a session signed out (or
/// expired) is gone, so its cookie no longer opens anything. Kept in memory: a session belongs to the gateway that
/// signed it in, like the Data Protection keys that encrypt its cookie.
/// </summary>
public sealed class ConsoleSessionTickets : ITicketStore, IDisposable
{
    private readonly MemoryCache _sessions = new(new MemoryCacheOptions());

    public Task<string> StoreAsync(AuthenticationTicket ticket)
    {
        var key = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        Keep(key, ticket);
        return Task.FromResult(key);
    }

    public Task RenewAsync(string key, AuthenticationTicket ticket)
    {
        // Only a session that still exists: a request in flight when its operator signed out must not bring it back.
        if (_sessions.TryGetValue(key, out _))
        {
            Keep(key, ticket);
        }

        return Task.CompletedTask;
    }

    public Task<AuthenticationTicket?> RetrieveAsync(string key) =>
        Task.FromResult(_sessions.TryGetValue(key, out AuthenticationTicket? ticket) ? ticket : null);

    public Task RemoveAsync(string key)
    {
        _sessions.Remove(key);
        return Task.CompletedTask;
    }

    public void Dispose() => _sessions.Dispose();

    private void Keep(string key, AuthenticationTicket ticket)
    {
        var entry = new MemoryCacheEntryOptions();
        if (ticket.Properties.ExpiresUtc is { } expires)
        {
            entry.AbsoluteExpiration = expires;
        }

        _sessions.Set(key, ticket, entry);
    }
}
