using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using Orleans.IoT.Grains.Ports;
using Orleans.IoT.Silo.Adapters.Postgres;
using Orleans.IoT.Silo.Configuration;

namespace Orleans.IoT.Tests.Durable;

/// <summary>The lifecycle audit writer and reader on their own, against the durable profile's PostgreSQL (its schema made by the node).</summary>
[Collection(DurableCollection.Name)]
public sealed class PostgresLifecycleAuditTests(DurableNodeFixture node)
{
    private static readonly TimeSpan Settled = TimeSpan.FromSeconds(15);
    private static readonly DateTimeOffset T0 = DateTimeOffset.FromUnixTimeSeconds(1_694_678_400);

    [Fact]
    public async Task Entries_are_read_back_by_device_and_time_range_oldest_first_up_to_the_limit_with_their_detail()
    {
        await using var dataSource = node.CreateDataSource();
        var logger = new RecordingLogger<PostgresLifecycleAudit>();
        var audit = NewAudit(dataSource, logger: logger);
        var deviceId = NewDeviceId();
        var otherDeviceId = NewDeviceId();
        const string detail = """{"command": "reboot", "parameters": {"delay": 5, "reason": "é ✓ \"quoted\""}, "ttl_seconds": 3600}""";

        // Out of time order, with another device's entries among them; three states share one time.
        foreach (var second in new[] { 4, 0, 2, 1, 3 })
        {
            await audit.RecordAsync(Entry(deviceId, $"c{second}", "sent", T0.AddSeconds(second), second == 1 ? detail : null), CancellationToken.None);
            await audit.RecordAsync(Entry(otherDeviceId, $"c{second}", "sent", T0.AddSeconds(second)), CancellationToken.None);
        }

        var sameTime = T0.AddSeconds(10).AddTicks(1234);
        foreach (var state in new[] { "queued", "sent", "delivered" })
        {
            await audit.RecordAsync(Entry(deviceId, "c10", state, sameTime), CancellationToken.None);
        }

        // Written as one batch, in the order they were recorded.
        await audit.StartAsync(CancellationToken.None);
        await WaitUntilAsync(() => CountEntries(deviceId) == 8 && CountEntries(otherDeviceId) == 5);

        var inRange = await audit.ReadAsync(deviceId, T0.AddSeconds(1), T0.AddSeconds(4), 100, CancellationToken.None);
        Assert.Equal(["c1", "c2", "c3"], inRange.Select(e => e.Id));
        Assert.All(inRange, e => Assert.Equal(deviceId, e.DeviceId));
        Assert.All(inRange, e => Assert.Equal("command", e.Kind));
        Assert.Equal(T0.AddSeconds(1), inRange[0].At);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(detail), JsonNode.Parse(inRange[0].DetailJson!)));
        Assert.Null(inRange[1].DetailJson);

        var limited = await audit.ReadAsync(deviceId, T0, T0.AddMinutes(1), 2, CancellationToken.None);
        Assert.Equal(["c0", "c1"], limited.Select(e => e.Id));

        var ofOneTime = await audit.ReadAsync(deviceId, sameTime, sameTime.AddSeconds(1), 10, CancellationToken.None);
        Assert.Equal(["queued", "sent", "delivered"], ofOneTime.Select(e => e.State));
        // Kept to the microsecond, in UTC.
        Assert.All(ofOneTime, e => Assert.Equal(sameTime.AddTicks(-4), e.At));
        Assert.All(ofOneTime, e => Assert.Equal(TimeSpan.Zero, e.At.Offset));

        Assert.Empty(await audit.ReadAsync(NewDeviceId(), T0, T0.AddMinutes(1), 10, CancellationToken.None));
        await audit.StopAsync(CancellationToken.None);
        Assert.Empty(logger.At(LogLevel.Warning));
        Assert.Empty(logger.At(LogLevel.Error));
    }

    [Fact]
    public async Task The_latest_commands_and_one_commands_entries_are_read_as_the_operator_api_needs_them()
    {
        await using var dataSource = node.CreateDataSource();
        var audit = NewAudit(dataSource);
        var deviceId = NewDeviceId();
        await Adapters.LifecycleAuditReadScenario.RecordAsync(audit, deviceId);
        await audit.StartAsync(CancellationToken.None);
        await WaitUntilAsync(() => CountEntries(deviceId) == Adapters.LifecycleAuditReadScenario.Recorded);
        using (var deadline = new CancellationTokenSource(Settled))
        {
            await audit.StopAsync(deadline.Token);
        }

        await Adapters.LifecycleAuditReadScenario.AssertReadsAsync(audit, deviceId);
    }

    [Fact]
    public async Task An_entry_recorded_twice_is_stored_once_within_a_batch_and_across_batches()
    {
        await using var dataSource = node.CreateDataSource();
        var audit = NewAudit(dataSource);
        var deviceId = NewDeviceId();
        var sent = Entry(deviceId, "c1", "sent", T0, """{"command":"reboot"}""");

        // Both in the first batch: the writer has not started.
        await audit.RecordAsync(sent, CancellationToken.None);
        await audit.RecordAsync(sent, CancellationToken.None);
        await audit.RecordAsync(Entry(deviceId, "c1", "delivered", T0.AddSeconds(1)), CancellationToken.None);
        await audit.StartAsync(CancellationToken.None);
        await WaitUntilAsync(() => CountEntries(deviceId) == 2);

        // Again, as a retry after an unanswered write would.
        await audit.RecordAsync(sent, CancellationToken.None);
        await audit.RecordAsync(Entry(deviceId, "c1", "succeeded", T0.AddSeconds(2)), CancellationToken.None);
        await WaitUntilAsync(() => CountEntries(deviceId) == 3);
        await audit.StopAsync(CancellationToken.None);

        Assert.Equal(3, CountEntries(deviceId));
        var entries = await audit.ReadAsync(deviceId, T0, T0.AddMinutes(1), 10, CancellationToken.None);
        Assert.Equal(["sent", "delivered", "succeeded"], entries.Select(e => e.State));
    }

    [Fact]
    public async Task Entries_queued_while_postgres_is_cut_are_stored_once_it_is_restored()
    {
        var (proxy, dataSource) = node.CreateProxiedDataSource();
        await using var _ = proxy;
        await using var __ = dataSource;
        var logger = new RecordingLogger<PostgresLifecycleAudit>();
        var audit = NewAudit(dataSource, logger: logger);
        await audit.StartAsync(CancellationToken.None);
        var deviceId = NewDeviceId();

        proxy.Cut();
        for (var i = 0; i < 20; i++)
        {
            var recording = Stopwatch.StartNew();
            await audit.RecordAsync(Entry(deviceId, $"c{i}", "sent", T0.AddSeconds(i)), CancellationToken.None);
            Assert.True(recording.Elapsed < TimeSpan.FromSeconds(1), "recording waited for PostgreSQL");
        }

        await Task.Delay(1000);
        Assert.Equal(0, CountEntries(deviceId));
        proxy.Restore();

        await WaitUntilAsync(() => CountEntries(deviceId) == 20);
        await audit.StopAsync(CancellationToken.None);
        var warnings = logger.At(LogLevel.Warning).ToList();
        Assert.Equal(2, warnings.Count);
        Assert.Contains("cannot be written", warnings[0]);
        Assert.Contains("written to PostgreSQL again", warnings[1]);
        Assert.Empty(logger.At(LogLevel.Error));
        var entries = await audit.ReadAsync(deviceId, T0, T0.AddMinutes(1), 100, CancellationToken.None);
        Assert.Equal(Enumerable.Range(0, 20).Select(i => $"c{i}"), entries.Select(e => e.Id));
    }

    [Fact]
    public async Task An_entry_postgres_refuses_is_left_out_and_the_rest_of_its_batch_is_stored()
    {
        await using var dataSource = node.CreateDataSource();
        var logger = new RecordingLogger<PostgresLifecycleAudit>();
        var audit = NewAudit(dataSource, logger: logger);
        var deviceId = NewDeviceId();
        for (var i = 0; i < 30; i++)
        {
            var entry = i switch
            {
                // Valid JSON that jsonb cannot hold (\u0000), and a NUL in text.
                11 => Entry(deviceId, "c11", "sent", T0.AddSeconds(i), """{"secret":"bad\u0000detail"}"""),
                23 => Entry(deviceId, "c23", "sent\0", T0.AddSeconds(i)),
                // Text that cannot be encoded as UTF-8 (a lone surrogate): refused by the client.
                27 => Entry(deviceId, "c27", "sent\uD800", T0.AddSeconds(i)),
                _ => Entry(deviceId, $"c{i}", "sent", T0.AddSeconds(i), """{"ok":true}"""),
            };
            await audit.RecordAsync(entry, CancellationToken.None);
        }

        // All thirty in one batch.
        await audit.StartAsync(CancellationToken.None);
        using var deadline = new CancellationTokenSource(Settled);
        await audit.StopAsync(deadline.Token);

        Assert.Equal(27, CountEntries(deviceId));
        var stored = await audit.ReadAsync(deviceId, T0, T0.AddMinutes(1), 100, CancellationToken.None);
        Assert.DoesNotContain(stored, e => e.Id is "c11" or "c23" or "c27");
        var refused = logger.At(LogLevel.Error).ToList();
        Assert.Equal(3, refused.Count);
        Assert.Contains(refused, r => r.Contains("c11") && r.Contains(deviceId));
        Assert.Contains(refused, r => r.Contains("c23") && r.Contains(deviceId));
        Assert.Contains(refused, r => r.Contains("c27") && r.Contains(deviceId));
        Assert.All(refused, r => Assert.DoesNotContain("secret", r));
        Assert.Empty(logger.At(LogLevel.Warning));
    }

    [Fact]
    public async Task Stopping_writes_every_queued_entry_first()
    {
        await using var dataSource = node.CreateDataSource();
        var logger = new RecordingLogger<PostgresLifecycleAudit>();
        var audit = NewAudit(dataSource, new AuditOptions { BatchSize = 500 }, logger);
        await audit.StartAsync(CancellationToken.None);
        var deviceId = NewDeviceId();

        for (var i = 0; i < 3000; i++)
        {
            await audit.RecordAsync(Entry(deviceId, $"c{i / 3}", $"s{i % 3}", T0.AddMilliseconds(i)), CancellationToken.None);
        }

        using var deadline = new CancellationTokenSource(Settled);
        await audit.StopAsync(deadline.Token);

        Assert.Equal(3000, CountEntries(deviceId));
        Assert.Equal(0, audit.Queued);
        Assert.Empty(logger.At(LogLevel.Warning));
        Assert.Empty(logger.At(LogLevel.Error));
    }

    [Fact]
    public async Task A_full_queue_makes_the_recorder_wait_a_bounded_time_then_drops_the_entry_without_failing_it()
    {
        await using var dataSource = node.CreateDataSource();
        var logger = new RecordingLogger<PostgresLifecycleAudit>();
        // The writer is not started: the queue stays full.
        var audit = NewAudit(dataSource, new AuditOptions { QueueCapacity = 2, QueueFullWaitMilliseconds = 1000 }, logger);
        var deviceId = NewDeviceId();
        await audit.RecordAsync(Entry(deviceId, "c0", "sent", T0), CancellationToken.None);
        await audit.RecordAsync(Entry(deviceId, "c1", "sent", T0), CancellationToken.None);

        var waited = Stopwatch.StartNew();
        await audit.RecordAsync(Entry(deviceId, "c2", "sent", T0), CancellationToken.None);
        Assert.InRange(waited.Elapsed, TimeSpan.FromMilliseconds(900), TimeSpan.FromSeconds(10));
        var dropped = Assert.Single(logger.At(LogLevel.Error));
        Assert.Contains("c2", dropped);
        Assert.Contains(deviceId, dropped);

        // Room again: the next entry waits for it rather than being dropped.
        var recording = audit.RecordAsync(Entry(deviceId, "c3", "sent", T0), CancellationToken.None).AsTask();
        await audit.StartAsync(CancellationToken.None);
        await recording;
        using var deadline = new CancellationTokenSource(Settled);
        await audit.StopAsync(deadline.Token);
        Assert.Equal(3, CountEntries(deviceId));

        // After the writer stopped an entry is dropped at once, never an exception to the grain.
        await audit.RecordAsync(Entry(deviceId, "c4", "sent", T0), CancellationToken.None);
        Assert.Equal(2, logger.At(LogLevel.Error).Count());
    }

    [Fact]
    public async Task The_reader_refuses_a_bad_range_or_limit_and_reports_an_unreachable_postgres_as_a_passing_fault()
    {
        var (proxy, dataSource) = node.CreateProxiedDataSource();
        await using var _ = proxy;
        await using var __ = dataSource;
        var audit = NewAudit(dataSource);
        var deviceId = NewDeviceId();

        await Assert.ThrowsAnyAsync<ArgumentException>(() => audit.ReadAsync(deviceId, T0, T0.AddSeconds(1), 0, CancellationToken.None));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => audit.ReadAsync(deviceId, T0, T0.AddSeconds(1), 1001, CancellationToken.None));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => audit.ReadAsync(deviceId, T0, T0, 10, CancellationToken.None));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => audit.ReadAsync(deviceId, T0.AddSeconds(1), T0, 10, CancellationToken.None));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => audit.ReadAsync("", T0, T0.AddSeconds(1), 10, CancellationToken.None));
        Assert.Empty(await audit.ReadAsync(deviceId, T0, T0.AddSeconds(1), 1000, CancellationToken.None));

        proxy.Cut();
        await Assert.ThrowsAsync<PassingFaultException>(() => audit.ReadAsync(deviceId, T0, T0.AddSeconds(1), 10, CancellationToken.None));
        proxy.Restore();
        // The pooled connection the cut killed is replaced without the caller seeing it.
        Assert.Empty(await audit.ReadAsync(deviceId, T0, T0.AddSeconds(1), 10, CancellationToken.None));
    }

    [Fact]
    public async Task The_durable_node_records_and_reads_through_one_postgres_audit_that_stops_after_the_catalog()
    {
        var audit = node.Services.GetRequiredService<PostgresLifecycleAudit>();
        Assert.Same(audit, node.Services.GetRequiredService<ILifecycleAudit>());
        Assert.Same(audit, node.Services.GetRequiredService<ILifecycleAuditReader>());
        // Hosted services stop in the reverse order of their registration.
        var hosted = node.Services.GetServices<IHostedService>().ToList();
        Assert.True(hosted.IndexOf(audit) < hosted.IndexOf(node.Services.GetRequiredService<PostgresDeviceCatalog>()));
        Assert.True(hosted.IndexOf(audit) < hosted.IndexOf(node.Services.GetRequiredService<PostgresSensorHistory>()));

        var deviceId = NewDeviceId();
        await node.Services.GetRequiredService<ILifecycleAudit>().RecordAsync(
            new LifecycleAuditEntry(deviceId, "firmware", "u1", "initiated", T0, """{"version":"2.0.0"}"""), CancellationToken.None);
        await WaitUntilAsync(() => CountEntries(deviceId) == 1);
        var entry = Assert.Single(await node.Services.GetRequiredService<ILifecycleAuditReader>().ReadAsync(
            deviceId, T0, T0.AddSeconds(1), 10, CancellationToken.None));
        Assert.Equal(("firmware", "u1", "initiated", T0), (entry.Kind, entry.Id, entry.State, entry.At));
    }

    private static PostgresLifecycleAudit NewAudit(
        NpgsqlDataSource dataSource, AuditOptions? options = null, RecordingLogger<PostgresLifecycleAudit>? logger = null)
    {
        var meters = new ServiceCollection().AddMetrics().BuildServiceProvider().GetRequiredService<IMeterFactory>();
        return new PostgresLifecycleAudit(
            dataSource, Options.Create(options ?? new AuditOptions()), new AuditMetrics(meters),
            logger ?? new RecordingLogger<PostgresLifecycleAudit>());
    }

    private static string NewDeviceId() => $"audit-{Guid.NewGuid():N}";

    private static LifecycleAuditEntry Entry(string deviceId, string id, string state, DateTimeOffset at, string? detail = null) =>
        new(deviceId, "command", id, state, at, detail);

    private long CountEntries(string deviceId)
    {
        using var connection = node.OpenDatabase();
        using var command = new NpgsqlCommand("SELECT count(*) FROM lifecycle_audit WHERE device_id = $1", connection);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = deviceId });
        return (long)command.ExecuteScalar()!;
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + Settled;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the condition did not hold in time");
            await Task.Delay(50);
        }
    }
}
