using Orleans.IoT.Gateway.Messaging;

namespace Orleans.IoT.Tests.Transport;

public sealed class InboundCallsTests
{
    [Fact]
    public void Losing_a_silo_cancels_the_messages_in_flight_and_not_those_that_come_after()
    {
        var calls = new InboundCalls();
        var inFlight = calls.Token;

        calls.CancelInFlight();

        Assert.True(inFlight.IsCancellationRequested);
        Assert.False(calls.Token.IsCancellationRequested);
    }

    [Fact]
    public void Stopping_cancels_the_messages_in_flight_and_every_later_one_for_good()
    {
        var calls = new InboundCalls();
        var inFlight = calls.Token;

        calls.Stop();
        calls.CancelInFlight();

        Assert.True(inFlight.IsCancellationRequested);
        Assert.True(calls.Token.IsCancellationRequested);
    }
}
