namespace Orleans.IoT.Tests.Grains;

/// <summary>The cluster's store of console sessions: a session lasts until it expires or is ended, and nothing brings an ended one back.</summary>
[Collection(ClusterCollection.Name)]
public sealed class ConsoleSessionGrainTests(ClusterFixture cluster)
{
    private static readonly byte[] Ticket = [1, 2, 3];

    [Fact]
    public async Task A_session_is_read_until_it_ends_and_a_renewal_after_its_end_does_not_bring_it_back()
    {
        var session = cluster.Client.GetGrain<IConsoleSessionGrain>(Guid.NewGuid().ToString("N"));
        var expiresAt = DateTimeOffset.UtcNow.AddHours(1);

        Assert.Null(await session.Read());
        await session.Keep(new ConsoleSessionTicket(Ticket, expiresAt), onlyIfPresent: true);
        Assert.Null(await session.Read());

        await session.Keep(new ConsoleSessionTicket(Ticket, expiresAt), onlyIfPresent: false);
        var read = await session.Read();
        Assert.NotNull(read);
        Assert.Equal(Ticket, read.Ticket);
        Assert.Equal(expiresAt, read.ExpiresAt);

        await session.Keep(new ConsoleSessionTicket([4], expiresAt.AddHours(1)), onlyIfPresent: true);
        Assert.Equal([4], (await session.Read())!.Ticket);

        await session.End();
        await session.Keep(new ConsoleSessionTicket(Ticket, expiresAt), onlyIfPresent: true);
        Assert.Null(await session.Read());
    }

    [Fact]
    public async Task An_expired_session_is_gone_and_cannot_be_renewed()
    {
        var session = cluster.Client.GetGrain<IConsoleSessionGrain>(Guid.NewGuid().ToString("N"));
        await session.Keep(new ConsoleSessionTicket(Ticket, DateTimeOffset.UtcNow.AddSeconds(1)), onlyIfPresent: false);
        Assert.NotNull(await session.Read());

        await Task.Delay(TimeSpan.FromSeconds(1.5));

        Assert.Null(await session.Read());
        await session.Keep(new ConsoleSessionTicket(Ticket, DateTimeOffset.UtcNow.AddHours(1)), onlyIfPresent: true);
        Assert.Null(await session.Read());
    }
}
