namespace Orleans.IoT;

/// <summary>
/// A fault that passes: a store or service the call needs is unreachable or timed out. Nothing was decided about
/// the message, so the gateway does not acknowledge it and the device sends it again (DESIGN §2, input rules).
/// Any other exception is a permanent failure of that one message.
/// </summary>
[GenerateSerializer, Alias("iot.passing-fault")]
public sealed class PassingFaultException : Exception
{
    public PassingFaultException(string message)
        : base(message)
    {
    }

    public PassingFaultException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
