using Orleans.IoT.Gateway.Transport;

namespace Orleans.IoT.Tests.Routing;

public sealed class ReasonStringsTests
{
    [Fact]
    public void A_clean_message_is_kept_as_code_and_message() =>
        Assert.Equal("validation_failed: 'unit' must be text", ReasonStrings.Of("validation_failed", "'unit' must be text"));

    [Fact]
    public void Control_characters_and_lone_surrogates_never_reach_the_packet()
    {
        var reason = ReasonStrings.Of("internal_error", "a\u0000b\u0085c\ud800");

        Assert.DoesNotContain(reason, c => char.IsControl(c) || char.IsSurrogate(c));
        Assert.StartsWith("internal_error: a?b?c?", reason);
    }

    [Fact]
    public void A_long_message_is_cut() =>
        Assert.Equal(ReasonStrings.MaxLength, ReasonStrings.Of("validation_failed", new string('x', 5000)).Length);
}
