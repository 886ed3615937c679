using System.Text.Json.Nodes;
using Orleans.IoT.Grains.Ports;

namespace Orleans.IoT.Tests.Adapters;

/// <summary>
/// What both lifecycle audits must answer to the operator API's reads: a device's latest commands (or updates) and one
/// command's entries. Recorded by <see cref="RecordAsync"/>, checked by <see cref="AssertReadsAsync"/> once written.
/// </summary>
public static class LifecycleAuditReadScenario
{
    public static readonly DateTimeOffset T0 = DateTimeOffset.FromUnixTimeSeconds(1_694_678_400);

    /// <summary>Eight entries: c1 created first and changed last, c2, c3 after the range read, and a firmware update among them.</summary>
    public static async Task RecordAsync(ILifecycleAudit audit, string deviceId)
    {
        LifecycleAuditEntry[] entries =
        [
            new(deviceId, LifecycleAuditKinds.Command, "c1", "queued", T0, """{"command":"reboot"}"""),
            new(deviceId, LifecycleAuditKinds.Command, "c1", "sent", T0.AddSeconds(1), """{"command":"reboot"}"""),
            new(deviceId, LifecycleAuditKinds.Command, "c2", "sent", T0.AddSeconds(2), null),
            new(deviceId, LifecycleAuditKinds.Firmware, "u1", "sent", T0.AddSeconds(3), """{"version":"2.0.0"}"""),
            new(deviceId, LifecycleAuditKinds.Command, "c2", "succeeded", T0.AddSeconds(4), null),
            new(deviceId, LifecycleAuditKinds.Command, "c1", "succeeded", T0.AddSeconds(5), """{"command":"reboot","result":{"ok":true}}"""),
            new(deviceId, LifecycleAuditKinds.Command, "c3", "sent", T0.AddSeconds(6), null),
            new($"{deviceId}-other", LifecycleAuditKinds.Command, "c4", "sent", T0.AddSeconds(4), null),
        ];
        foreach (var entry in entries)
        {
            await audit.RecordAsync(entry, CancellationToken.None);
        }
    }

    public const int Recorded = 7;

    public static async Task AssertReadsAsync(ILifecycleAuditReader reader, string deviceId)
    {
        // c2 and c1 changed within [T0+2, T0+6): both, c1 (changed last) first, with every entry they have, oldest first.
        var inRange = await reader.ReadLatestAsync(deviceId, LifecycleAuditKinds.Command, T0.AddSeconds(2), T0.AddSeconds(6), 10, CancellationToken.None);
        Assert.Equal(
            [("c1", "queued"), ("c1", "sent"), ("c2", "sent"), ("c2", "succeeded"), ("c1", "succeeded")],
            inRange.Select(e => (e.Id, e.State)));
        Assert.All(inRange, e => Assert.Equal((deviceId, LifecycleAuditKinds.Command), (e.DeviceId, e.Kind)));
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"command":"reboot","result":{"ok":true}}"""), JsonNode.Parse(inRange[^1].DetailJson!)));
        Assert.Equal(T0.AddSeconds(5), inRange[^1].At);

        var latestTwo = await reader.ReadLatestAsync(deviceId, LifecycleAuditKinds.Command, T0, T0.AddMinutes(1), 2, CancellationToken.None);
        Assert.Equal(["c1", "c1", "c1", "c3"], latestTwo.Select(e => e.Id));
        var firmware = await reader.ReadLatestAsync(deviceId, LifecycleAuditKinds.Firmware, T0, T0.AddMinutes(1), 10, CancellationToken.None);
        Assert.Equal([("u1", "sent")], firmware.Select(e => (e.Id, e.State)));
        Assert.Empty(await reader.ReadLatestAsync(deviceId, LifecycleAuditKinds.Config, T0, T0.AddMinutes(1), 10, CancellationToken.None));
        Assert.Empty(await reader.ReadLatestAsync(deviceId, LifecycleAuditKinds.Command, T0.AddMinutes(1), T0.AddMinutes(2), 10, CancellationToken.None));

        var one = await reader.ReadOneAsync(deviceId, LifecycleAuditKinds.Command, "c1", 10, CancellationToken.None);
        Assert.Equal(["queued", "sent", "succeeded"], one.Select(e => e.State));
        Assert.Equal(["queued"], (await reader.ReadOneAsync(deviceId, LifecycleAuditKinds.Command, "c1", 1, CancellationToken.None)).Select(e => e.State));
        Assert.Empty(await reader.ReadOneAsync(deviceId, LifecycleAuditKinds.Firmware, "c1", 10, CancellationToken.None));
        Assert.Empty(await reader.ReadOneAsync(deviceId, LifecycleAuditKinds.Command, "c9", 10, CancellationToken.None));

        await Assert.ThrowsAnyAsync<ArgumentException>(() => reader.ReadLatestAsync(deviceId, "", T0, T0.AddSeconds(1), 10, CancellationToken.None));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => reader.ReadLatestAsync(deviceId, LifecycleAuditKinds.Command, T0, T0, 10, CancellationToken.None));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => reader.ReadOneAsync(deviceId, LifecycleAuditKinds.Command, "c1", ILifecycleAuditReader.MaxReadLimit + 1, CancellationToken.None));
    }
}
