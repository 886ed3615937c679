using System.Diagnostics;
using System.Net;
using Orleans.IoT.Tests.EndToEnd;

namespace Orleans.IoT.Tests.Api;

/// <summary>
/// <c>/metrics</c> in the Prometheus text format: counters typed as counters, histograms as histograms, names as
/// Prometheus has them, and the whole page accepted by <c>promtool check metrics</c>.
/// </summary>
[Collection(NodeCollection.Name)]
public sealed class MetricsTests(NodeFixture node) : MetricsPageTests(node);

/// <summary>The same in the durable profile, where the PostgreSQL writers' instruments join them.</summary>
[Collection(Durable.DurableCollection.Name)]
public sealed class DurableMetricsTests(Durable.DurableNodeFixture node) : MetricsPageTests(node)
{
    [Fact]
    public async Task The_history_writer_reports_its_batches_as_histograms()
    {
        var exposition = await ScrapeAfterTrafficAsync();

        Assert.Contains("# TYPE orleans_iot_history_batch_size histogram", exposition);
        Assert.Matches("""orleans_iot_history_batch_size_count\{[^}]*\} [1-9]""", exposition);
        Assert.Contains("# TYPE orleans_iot_history_batch_duration_seconds histogram", exposition);
        Assert.Contains("# TYPE orleans_iot_history_queued gauge", exposition);
        Assert.Contains("# TYPE orleans_iot_history_outage_seconds gauge", exposition);
        Assert.Contains("# TYPE orleans_iot_audit_batch_size histogram", exposition);
    }
}

public abstract class MetricsPageTests(NodeFixture node)
{
    public const string PromtoolVariable = "ORLEANS_IOT_PROMTOOL";

    [Fact]
    public async Task Metrics_are_typed_and_named_as_prometheus_has_them()
    {
        var exposition = await ScrapeAfterTrafficAsync();

        Assert.Contains("# TYPE orleans_iot_gateway_messages_total counter", exposition);
        Assert.Matches("""orleans_iot_gateway_messages_total\{[^}]*outcome="accepted"[^}]*route="[^"]+"[^}]*\} [1-9]""", exposition);
        Assert.Contains("# TYPE orleans_iot_gateway_message_duration_seconds histogram", exposition);
        Assert.Matches("""orleans_iot_gateway_message_duration_seconds_bucket\{[^}]*le="0.001"[^}]*\} \d+""", exposition);
        Assert.Contains("# TYPE orleans_iot_devices_online gauge", exposition);
        Assert.Contains("# TYPE orleans_iot_lifecycle_transitions_total counter", exposition);
        Assert.Matches("""orleans_iot_lifecycle_transitions_total\{[^}]*kind="command"[^}]*state="(queued|sent)"[^}]*\} [1-9]""", exposition);
        Assert.Contains("# TYPE orleans_iot_gateway_connections gauge", exposition);
        Assert.DoesNotMatch("(?m)^# TYPE \\S+_total gauge$", exposition);
    }

    [Fact]
    public async Task Promtool_accepts_the_metrics_page()
    {
        var promtool = Environment.GetEnvironmentVariable(PromtoolVariable) is { Length: > 0 } path ? path : "promtool";
        var exposition = await ScrapeAfterTrafficAsync();

        var start = new ProcessStartInfo(promtool, ["check", "metrics"])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            Assert.Fail($"promtool is needed to check /metrics and could not be started from '{promtool}' ({ex.Message}): run the tests with deploy/test.sh, which provides it through {PromtoolVariable}");
            return;
        }

        using (process)
        {
            await process.StandardInput.WriteAsync(exposition);
            process.StandardInput.Close();
            var output = await process.StandardOutput.ReadToEndAsync() + await process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();
            Assert.True(process.ExitCode == 0, $"promtool check metrics exited {process.ExitCode}: {output}");
        }
    }

    /// <summary>A registration, a reading and a command to an offline device, so the system's instruments have values; then the page.</summary>
    protected async Task<string> ScrapeAfterTrafficAsync()
    {
        var (deviceId, token) = await node.RegisterDeviceAsync();
        await using (var device = await node.ConnectAsync(deviceId, token))
        {
            var ack = await device.PublishAsync($"iot/devices/data/{deviceId}/temperature", $$"""{"value":21.5,"unit":"C","timestamp":{{DateTimeOffset.UtcNow.ToUnixTimeSeconds()}}}""");
            Assert.True(ack.IsSuccess, $"{ack.ReasonCode} {ack.ReasonString}");
        }

        await using (var operatorClient = await node.ConnectOperatorAsync())
        {
            var ack = await operatorClient.PublishAsync($"iot/devices/control/{deviceId}/command", """{"command":"reboot"}""");
            Assert.True(ack.IsSuccess, $"{ack.ReasonCode} {ack.ReasonString}");
        }

        // The exporter answers a scrape from a page cached for up to 300 ms (ScrapeResponseCacheDurationMilliseconds):
        // another test's scrape just before this traffic would be served again without it.
        await Task.Delay(TimeSpan.FromMilliseconds(400));
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{node.HttpPort}") };
        using var response = await http.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        return await response.Content.ReadAsStringAsync();
    }
}
