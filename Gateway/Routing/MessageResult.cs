namespace Orleans.IoT.Gateway.Routing;

public enum MessageOutcome
{
    /// <summary>Handled; acknowledged with success.</summary>
    Accepted,

    /// <summary>Refused for what it is (bad input, no right): acknowledged with an error so it is not resent.</summary>
    Refused,

    /// <summary>Failed for a passing fault (storage down): not acknowledged, so the device resends it.</summary>
    Failed,
}

/// <summary>What a handler or middleware made of a message.</summary>
public sealed class MessageResult
{
    private static readonly MessageResult AcceptedWithoutReply = new(MessageOutcome.Accepted, null, null, null, default);

    private MessageResult(MessageOutcome outcome, string? errorCode, string? message, double? retryAfter, ReadOnlyMemory<byte> reply)
    {
        Outcome = outcome;
        ErrorCode = errorCode;
        Message = message;
        RetryAfterSeconds = retryAfter;
        Reply = reply;
    }

    public MessageOutcome Outcome { get; }

    /// <summary>One of <see cref="ErrorCodes"/>, unless accepted.</summary>
    public string? ErrorCode { get; }

    public string? Message { get; }

    public double? RetryAfterSeconds { get; }

    /// <summary>JSON for the MQTT 5 response topic, when the handler has a result to give.</summary>
    public ReadOnlyMemory<byte> Reply { get; }

    public static MessageResult Accepted() => AcceptedWithoutReply;

    public static MessageResult Accepted(ReadOnlyMemory<byte> reply) => new(MessageOutcome.Accepted, null, null, null, reply);

    public static MessageResult Refused(string errorCode, string message, double? retryAfter = null) =>
        new(MessageOutcome.Refused, errorCode, message, retryAfter, default);

    public static MessageResult Failed(string message) =>
        new(MessageOutcome.Failed, ErrorCodes.InternalError, message, null, default);
}
