using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Playwright;
using MQTTnet;
using MQTTnet.Protocol;
using Npgsql;
using Orleans.IoT.Benchmark.Hosting;
using Orleans.IoT.Benchmark.Load;
using Orleans.IoT.Silo.Adapters.Postgres;
using Orleans.IoT.Silo.Configuration;

namespace Orleans.IoT.Benchmark.Scenarios;

/// <summary>
/// The fleet console in headless Chromium over a PostgreSQL catalog of <c>--fleet-devices</c> rows: how long each page
/// takes from navigation start until its data is drawn (tiles, table rows, a device's facts and chart), and the API
/// requests behind each page timed alone. One real device, registered and connected over MQTT, has readings over the
/// last hour for its chart; the catalog's other rows are written through the catalog's own upsert path, their online
/// rows watched by the node's silo so that its presence sweeper leaves them be.
/// </summary>
public sealed class ConsoleScenario : IScenario
{
    private const int DeepPageClicks = 5;

    /// <summary>One every 10 s over the last hour: more than the 300 a chart draws raw, so that it draws the API's buckets.</summary>
    private const int ChartReadings = 360;

    private static readonly TimeSpan DrawTimeout = TimeSpan.FromSeconds(30);

    /// <summary>When the page's first request to the API started, in milliseconds since navigation start (Resource Timing).</summary>
    private const string FirstApiRequestAt = """
        () => Math.min(...performance.getEntriesByType("resource").filter((entry) => entry.name.includes("/api/v1/")).map((entry) => entry.startTime))
        """;

    /// <summary>The console's assets the page loaded, and how many of them went over the network (not from the browser's cache).</summary>
    private const string AssetsOnNetwork = """
        () => {
          const assets = performance.getEntriesByType("resource").filter((entry) => entry.name.includes("/console/assets/"));
          return `${assets.filter((entry) => entry.transferSize > 0).length}/${assets.length}`;
        }
        """;

    /// <summary>True once every selector matches, as the time since navigation start; polled on each animation frame.</summary>
    private const string DrawnAt = "selectors => selectors.every((selector) => document.querySelector(selector) !== null) && performance.now()";

    /// <summary>Clicks Next page and resolves with the milliseconds until the table's first device changed (-1: no Next page to click).</summary>
    private const string NextPageDrawn = """
        () => {
          const first = () => document.querySelector("main tbody tr a")?.textContent;
          const before = first();
          const next = [...document.querySelectorAll("main button")].find((button) => button.textContent.trim() === "Next page");
          if (!next || next.disabled) return -1;
          const started = performance.now();
          next.click();
          return new Promise((resolve) => {
            const check = () => {
              const now = first();
              if (now && now !== before) resolve(performance.now() - started);
              else requestAnimationFrame(check);
            };
            requestAnimationFrame(check);
          });
        }
        """;

    private static readonly string[] FleetDrawn = ["main .tile .count", "main table tbody tr"];

    private static readonly string[] DevicesDrawn = ["main table tbody tr"];

    private static readonly string[] DeviceDrawn = ["main dl dd", "main figure svg path"];

    public string Name => "console";

    public async Task RunAsync(BenchmarkOptions options, Report report)
    {
        if (!options.Durable)
        {
            report.Note(Name, "needs the durable profile: the console's pages over a PostgreSQL catalog of --fleet-devices rows");
            return;
        }

        HeadlessChromium.Executable();
        report.Add(Name, "load_average_at_start", string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ')[..3]));
        var started = Stopwatch.StartNew();
        var runId = RunIds.New();
        await PostgresSchema.MigrateAsync(options.Postgres, CancellationToken.None);
        await using var dataSource = NpgsqlDataSource.Create(options.Postgres);
        try
        {
            await MeasureAsync(options, report, runId, dataSource);
        }
        finally
        {
            await FleetRows.RemoveAsync(dataSource, runId);
        }

        report.Add(Name, "scenario_s", started.Elapsed.TotalSeconds, "s");
        report.Add(Name, "load_average_at_end", string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ')[..3]));
    }

    private async Task MeasureAsync(BenchmarkOptions options, Report report, string runId, NpgsqlDataSource dataSource)
    {
        await using var node = await SystemNode.StartAsync(options, runId, []);
        report.Note(Name, node.Description);
        var deviceId = $"{runId}-live";
        var token = (await node.RegisterAsync([deviceId], TimeSpan.FromSeconds(60)))[deviceId].Token;
        using var device = await ConnectDeviceAsync(node, deviceId, token);
        var watchedBy = await WatchedByAsync(dataSource, deviceId);

        report.Add(Name, "other_runs_online_rows", await OtherOnlineRowsAsync(dataSource, runId));
        await FillAsync(options, report, runId, dataSource, watchedBy);
        await SendReadingsAsync(device, deviceId);

        using var api = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{node.HttpPort}"), Timeout = DrawTimeout };
        api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", node.OperatorKey);
        await WaitForChartReadingsAsync(api, deviceId);
        using (var health = await GetJsonAsync(api, "/api/v1/fleet/health?silent=10"))
        {
            report.Add(Name, "devices", health.RootElement.GetProperty("total_devices").GetInt32());
            report.Add(Name, "active_alerts", health.RootElement.GetProperty("active_alerts_by_severity").EnumerateObject().Sum(s => s.Value.GetInt32()));
        }

        var warmup = Math.Max(1, options.ConsoleLoads / 4);
        var measured = options.ConsoleLoads;
        report.Add(Name, "loads_per_page", $"{warmup} warm-up, {measured} measured");
        var status = "status=offline&type=camera";
        var name = $"q={runId}-{Math.Max(1, options.FleetDevices / 100) + 3}";
        var pages = new (string Page, string Url, string[] Drawn, string[] Api)[]
        {
            ("fleet", "/", FleetDrawn, ["/api/v1/fleet/health?silent=10"]),
            ("devices", "/devices", DevicesDrawn, ["/api/v1/devices"]),
            ("devices_status_type", $"/devices?{status}", DevicesDrawn, [$"/api/v1/devices?{status}"]),
            ("devices_name", $"/devices?{name}", DevicesDrawn, [$"/api/v1/devices?{name}"]),
            ("device", $"/devices/{Uri.EscapeDataString(deviceId)}", DeviceDrawn, DevicePageRequests(deviceId)),
        };

        await using var chromium = await HeadlessChromium.LaunchAsync();
        await using var context = await chromium.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = api.BaseAddress!.ToString(),
            ViewportSize = new ViewportSize { Width = 1280, Height = 900 },
        });
        context.SetDefaultTimeout((float)DrawTimeout.TotalMilliseconds);
        var page = await context.NewPageAsync();
        await SignInAsync(page, node.OperatorKey);

        foreach (var (pageName, url, drawn, requests) in pages)
        {
            var (drawnAt, apiRequestAt) = await TimeLoadsAsync(page, url, drawn, warmup, measured);
            report.AddSpread(Name, pageName + "_page_", drawnAt);
            report.AddSpread(Name, pageName + "_page_first_api_request_at_", apiRequestAt);
            await ReportShownAsync(report, page, pageName);
            report.AddSpread(Name, pageName + "_api_", await TimeRequestsAsync(api, requests, warmup, measured));
        }

        var clicks = await TimeNextPagesAsync(page, warmup, measured);
        report.AddSpread(Name, "devices_next_page_", clicks);
        var deepCursor = await CursorAfterAsync(api, DeepPageClicks);
        report.AddSpread(Name, $"devices_page{DeepPageClicks + 1}_api_",
            await TimeRequestsAsync(api, [$"/api/v1/devices?cursor={Uri.EscapeDataString(deepCursor)}"], warmup, measured));
        report.Note(Name, "page: from navigation start (performance.now()) until the page's data is in the DOM, checked on each animation frame: " +
            "Fleet its status tiles and type table, Devices its table rows, the device page its facts and chart; first_api_request_at: " +
            "when the page's first API request started (Resource Timing), what the page spent before asking for its data; " +
            "assets_on_network: of the console's assets the last load used, those not from the browser's cache; next_page: from the click on " +
            $"Next page until the table's first device changed, {DeepPageClicks} clicks a load. api: the same API requests from HttpClient, one after another");
        await device.DisconnectAsync();
    }

    /// <summary>The device page's facts and its chart's two reads (raw readings, found to be over 300, then buckets), as the page reads them.</summary>
    private static string[] DevicePageRequests(string deviceId)
    {
        var to = DateTimeOffset.UtcNow;
        var span = $"from={Uri.EscapeDataString(to.AddHours(-1).ToString("O", CultureInfo.InvariantCulture))}&to={Uri.EscapeDataString(to.ToString("O", CultureInfo.InvariantCulture))}";
        var path = $"/api/v1/devices/{Uri.EscapeDataString(deviceId)}";
        return [path, $"{path}/telemetry/temperature?{span}&limit=300", $"{path}/telemetry/temperature?{span}&bucket=1m&limit=61"];
    }

    private async Task FillAsync(BenchmarkOptions options, Report report, string runId, NpgsqlDataSource dataSource, string watchedBy)
    {
        var now = DateTimeOffset.UtcNow;
        var random = new Random(11);
        var entries = FleetRows.Entries(runId, options.FleetDevices, now, random, watchedBy);
        var alerts = FleetRows.ActiveAlerts(runId, entries, now, random);
        var filling = Stopwatch.StartNew();
        await FleetRows.WriteAsync(new PostgresDeviceCatalog(dataSource, NullLogger<PostgresDeviceCatalog>.Instance), entries);
        await FleetRows.RecordAsync(
            new PostgresAlertStore(dataSource, Options.Create(new AlertStoreOptions()), TimeProvider.System, NullLogger<PostgresAlertStore>.Instance), alerts);
        report.Add(Name, "filled_devices_alerts", $"{entries.Count}/{alerts.Count}");
        report.Add(Name, "filled_online_offline_unregistered", FleetRows.Statuses(entries));
        report.Add(Name, "fill_s", filling.Elapsed.TotalSeconds, "s");
        await using var vacuum = dataSource.CreateCommand("VACUUM (ANALYZE) devices");
        await vacuum.ExecuteNonQueryAsync();
    }

    /// <summary>
    /// Online rows that earlier runs left: their grains belong to no live silo, so the node's presence sweeper wakes them
    /// while the pages are timed (the <c>fleet</c> and <c>console</c> scenarios remove their rows; others may not).
    /// </summary>
    private static async Task<long> OtherOnlineRowsAsync(NpgsqlDataSource dataSource, string runId)
    {
        await using var command = dataSource.CreateCommand("SELECT count(*) FROM devices WHERE online AND device_id NOT LIKE $1");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = runId + "-%" });
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private static async Task<IMqttClient> ConnectDeviceAsync(SystemNode node, string deviceId, string token)
    {
        var client = new MqttClientFactory().CreateMqttClient();
        var connected = await client.ConnectAsync(new MqttClientOptionsBuilder()
            .WithTcpServer("127.0.0.1", node.MqttPort)
            .WithClientId(deviceId)
            .WithCredentials(deviceId, token)
            .WithProtocolVersion(MQTTnet.Formatter.MqttProtocolVersion.V500)
            .WithTimeout(TimeSpan.FromSeconds(30))
            .Build());
        if (connected.ResultCode != MqttClientConnectResultCode.Success)
        {
            client.Dispose();
            throw new InvalidOperationException($"the device's CONNECT was refused: {connected.ResultCode}");
        }

        return client;
    }

    /// <summary>The silo address the catalog says watches the connected device: the node's own.</summary>
    private static async Task<string> WatchedByAsync(NpgsqlDataSource dataSource, string deviceId)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            await using var command = dataSource.CreateCommand("SELECT watched_by FROM devices WHERE device_id = $1 AND online");
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = deviceId });
            if (await command.ExecuteScalarAsync() is string watchedBy)
            {
                return watchedBy;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"the catalog did not show {deviceId} online, watched by a silo, within 30 s");
            }

            await Task.Delay(200);
        }
    }

    private static async Task SendReadingsAsync(IMqttClient device, string deviceId)
    {
        var start = DateTimeOffset.UtcNow.AddHours(-1);
        for (var i = 0; i < ChartReadings; i++)
        {
            var at = start.AddSeconds(i * 3600.0 / ChartReadings).ToUnixTimeSeconds();
            var value = (20 + (5 * Math.Sin(i / 30.0))).ToString("0.###", CultureInfo.InvariantCulture);
            var result = await device.PublishAsync(new MqttApplicationMessageBuilder()
                .WithTopic($"iot/devices/data/{deviceId}/temperature")
                .WithPayload(Encoding.UTF8.GetBytes($$"""{"value":{{value}},"unit":"celsius","timestamp":{{at}}}"""))
                .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
                .Build());
            if (!result.IsSuccess)
            {
                throw new InvalidOperationException($"reading {i} was refused: {result.ReasonCode} {result.ReasonString}");
            }
        }
    }

    /// <summary>Waits until the history holds more than the 300 readings a chart draws raw over the last hour.</summary>
    private static async Task WaitForChartReadingsAsync(HttpClient api, string deviceId)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            var raw = DevicePageRequests(deviceId)[1];
            using (var readings = await GetJsonAsync(api, raw))
            {
                if (readings.RootElement.GetProperty("next_cursor").ValueKind == JsonValueKind.String)
                {
                    return;
                }
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"the history did not hold over 300 of the device's {ChartReadings} readings within 60 s");
            }

            await Task.Delay(250);
        }
    }

    private static async Task SignInAsync(IPage page, string key)
    {
        await page.GotoAsync("/signin");
        await page.GetByLabel("Operator").FillAsync(SystemNode.OperatorName);
        await page.GetByLabel("Key").FillAsync(key);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await page.WaitForURLAsync(url => !url.Contains("/signin", StringComparison.Ordinal));
    }

    /// <summary>Loads <paramref name="url"/> again and again: when its data was drawn, and when its first API request started.</summary>
    private static async Task<(LatencyHistogram DrawnAt, LatencyHistogram ApiRequestAt)> TimeLoadsAsync(
        IPage page, string url, string[] drawn, int warmup, int measured)
    {
        var drawnAt = new LatencyHistogram();
        var apiRequestAt = new LatencyHistogram();
        for (var i = 0; i < warmup + measured; i++)
        {
            var milliseconds = await LoadAsync(page, url, drawn);
            if (i >= warmup)
            {
                drawnAt.Record((long)(milliseconds * 1000));
                apiRequestAt.Record((long)(await page.EvaluateAsync<double>(FirstApiRequestAt) * 1000));
            }
        }

        return (drawnAt, apiRequestAt);
    }

    /// <summary>Navigates to <paramref name="url"/>; returns the milliseconds from navigation start until every selector of <paramref name="drawn"/> matched.</summary>
    private static async Task<double> LoadAsync(IPage page, string url, string[] drawn)
    {
        await page.GotoAsync(url, new PageGotoOptions { WaitUntil = WaitUntilState.Commit });
        try
        {
            var at = await page.WaitForFunctionAsync(DrawnAt, drawn);
            return await at.JsonValueAsync<double>();
        }
        catch (TimeoutException)
        {
            var banner = await page.Locator("#banner").TextContentAsync();
            throw new TimeoutException($"{url} was not drawn ({string.Join(", ", drawn)}) within {DrawTimeout.TotalSeconds} s; the console's banner: '{banner}'");
        }
    }

    /// <summary>Each load opens the Devices page and clicks Next page <see cref="DeepPageClicks"/> times, each click timed.</summary>
    private static async Task<LatencyHistogram> TimeNextPagesAsync(IPage page, int warmup, int measured)
    {
        var latency = new LatencyHistogram();
        for (var i = 0; i < warmup + measured; i++)
        {
            await LoadAsync(page, "/devices", DevicesDrawn);
            for (var click = 1; click <= DeepPageClicks; click++)
            {
                var milliseconds = await page.EvaluateAsync<double>(NextPageDrawn).WaitAsync(DrawTimeout);
                if (milliseconds < 0)
                {
                    throw new InvalidOperationException($"the Devices page had no Next page to click after {click - 1} clicks");
                }

                if (i >= warmup)
                {
                    latency.Record((long)(milliseconds * 1000));
                }
            }
        }

        return latency;
    }

    /// <summary>What the page showed on its last load, so that the figures say what was drawn.</summary>
    private async Task ReportShownAsync(Report report, IPage page, string pageName)
    {
        report.Add(Name, pageName + "_page_assets_on_network", await page.EvaluateAsync<string>(AssetsOnNetwork));
        if (pageName == "device")
        {
            report.Add(Name, "device_chart", await page.Locator("main figure figcaption").First.TextContentAsync() ?? string.Empty);
        }
        else if (pageName.StartsWith("devices_", StringComparison.Ordinal))
        {
            report.Add(Name, pageName + "_rows_shown", await page.Locator("main table tbody tr").CountAsync());
        }
    }

    private static async Task<LatencyHistogram> TimeRequestsAsync(HttpClient api, string[] requests, int warmup, int measured)
    {
        var latency = new LatencyHistogram();
        for (var i = 0; i < warmup + measured; i++)
        {
            var started = Stopwatch.GetTimestamp();
            foreach (var request in requests)
            {
                using var response = await api.GetAsync(request);
                await response.Content.ReadAsByteArrayAsync();
                if (!response.IsSuccessStatusCode)
                {
                    throw new InvalidOperationException($"GET {request} answered {(int)response.StatusCode}");
                }
            }

            if (i >= warmup)
            {
                latency.Record((long)Stopwatch.GetElapsedTime(started).TotalMicroseconds);
            }
        }

        return latency;
    }

    /// <summary>The cursor of the Devices list's page after <paramref name="pages"/> pages.</summary>
    private static async Task<string> CursorAfterAsync(HttpClient api, int pages)
    {
        string? cursor = null;
        for (var i = 0; i < pages; i++)
        {
            using var page = await GetJsonAsync(api, cursor is null ? "/api/v1/devices" : $"/api/v1/devices?cursor={Uri.EscapeDataString(cursor)}");
            cursor = page.RootElement.GetProperty("next_cursor").GetString()
                ?? throw new InvalidOperationException($"the device list ended after {i + 1} pages");
        }

        return cursor!;
    }

    private static async Task<JsonDocument> GetJsonAsync(HttpClient api, string path)
    {
        using var response = await api.GetAsync(path);
        var body = await response.Content.ReadAsStringAsync();
        return response.IsSuccessStatusCode
            ? JsonDocument.Parse(body)
            : throw new InvalidOperationException($"GET {path} answered {(int)response.StatusCode}: {body}");
    }
}
