namespace Orleans.IoT;

/// <summary>The error codes of the contract (DESIGN §2), as they appear on the wire.</summary>
public static class ErrorCodes
{
    public const string InvalidJson = "invalid_json";
    public const string ValidationFailed = "validation_failed";
    public const string Unauthorized = "unauthorized";
    public const string Forbidden = "forbidden";
    public const string NotRegistered = "not_registered";
    public const string AlreadyRegistered = "already_registered";
    public const string RateLimited = "rate_limited";
    public const string PayloadTooLarge = "payload_too_large";
    public const string UnknownRoute = "unknown_route";
    public const string InternalError = "internal_error";

    /// <summary>HTTP only: a change made on a condition (<c>If-Match</c>) that no longer holds.</summary>
    public const string PreconditionFailed = "precondition_failed";
}
