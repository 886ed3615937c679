namespace Orleans.IoT.Gateway.Live;

/// <summary>Why <see cref="LiveEvents.TryOpen"/> opened no stream.</summary>
public enum StreamRefusal
{
    None,

    /// <summary><c>Console:MaxStreams</c> are open on this gateway.</summary>
    GatewayFull,

    /// <summary><c>Console:MaxStreamsPerOperator</c> of this operator's are open on this gateway.</summary>
    OperatorFull,
}
