using System.Buffers.Text;
using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;

namespace Orleans.IoT.Gateway.WebConsole;

/// <summary>
/// The session cookie's value: the session's key as it is, instead of the ticket encrypted with this gateway's Data
/// Protection keys, which another gateway could not read. The key is 256 random bits that only the cluster's session
/// store gives meaning to, so encrypting it would hide nothing; a forged or altered value names no session.
/// </summary>
public sealed class SessionKeyCookieFormat(string scheme) : ISecureDataFormat<AuthenticationTicket>
{
    /// <summary>The claim by which ASP.NET Core's cookie handler carries a session store's key in the cookie's ticket.</summary>
    public const string SessionKeyClaim = "Microsoft.AspNetCore.Authentication.Cookies-SessionId";

    private const int KeyLength = 43;

    public string Protect(AuthenticationTicket data) => Protect(data, purpose: null);

    public string Protect(AuthenticationTicket data, string? purpose) =>
        data.Principal.FindFirst(SessionKeyClaim)?.Value
        ?? throw new InvalidOperationException("A console session's cookie carries only its session key; this ticket has none.");

    public AuthenticationTicket? Unprotect(string? protectedText) => Unprotect(protectedText, purpose: null);

    public AuthenticationTicket? Unprotect(string? protectedText, string? purpose)
    {
        if (protectedText is not { Length: KeyLength } || !Base64Url.IsValid(protectedText))
        {
            return null;
        }

        var identity = new ClaimsIdentity([new Claim(SessionKeyClaim, protectedText)], scheme);
        return new AuthenticationTicket(new ClaimsPrincipal(identity), scheme);
    }
}
