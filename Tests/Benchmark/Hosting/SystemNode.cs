using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using MQTTnet;
using MQTTnet.Protocol;

namespace Orleans.IoT.Benchmark.Hosting;

/// <summary>
/// The system under test as its own process, in the chosen profile: the node (silo + co-hosted gateway), or a standalone
/// gateway (GatewayHost) of a <see cref="SystemCluster"/>, whose silos run without a gateway (<see cref="StartSiloAsync"/>).
/// </summary>
public sealed class SystemNode : IIngestSystem
{
    public const string OperatorName = "bench";

    private SystemNode(ChildProcess process, int mqttPort, int siloPort, int httpPort, string operatorKey, string description)
    {
        Process = process;
        MqttPort = mqttPort;
        SiloPort = siloPort;
        HttpPort = httpPort;
        OperatorKey = operatorKey;
        Description = description;
    }

    /// <summary>What a process of the system runs.</summary>
    public enum Role
    {
        /// <summary>A silo with the gateway co-hosted (Silo/).</summary>
        Node,

        /// <summary>A silo without a gateway (Silo/, <c>Gateway:CoHosted=false</c>).</summary>
        Silo,

        /// <summary>A standalone gateway, an Orleans client of the silos (GatewayHost/).</summary>
        Gateway,
    }

    public ChildProcess Process { get; }

    public int MqttPort { get; }

    /// <summary>The silo's port, part of its address (<c>127.0.0.1:port@generation</c>); 0 for a standalone gateway.</summary>
    public int SiloPort { get; }

    /// <summary>The port of the node's HTTP endpoints: the operator API and the console.</summary>
    public int HttpPort { get; }

    public string OperatorKey { get; }

    public string Description { get; }

    public IPEndPoint MqttEndPoint => new(IPAddress.Loopback, MqttPort);

    public IReadOnlyList<IPEndPoint> DeviceEndPoints => [MqttEndPoint];

    /// <summary>The settings the benchmark gives a process of <paramref name="role"/>, so that the figures say what was measured.</summary>
    public static IReadOnlyList<string> Settings(BenchmarkOptions options, string runId, IEnumerable<string> extra, Role role = Role.Node)
    {
        var settings = new List<string>
        {
            "--RateLimit:MaxMessages=2000000000", // the benchmark's devices send far more than 1,000 a minute
            $"--Orleans:ServiceId={runId}",
            $"--Orleans:ClusterId={runId}",
            "--Logging:LogLevel:Default=Warning",
            "--Logging:LogLevel:Orleans.IoT=Warning",
        };
        if (role == Role.Silo)
        {
            settings.Add("--Gateway:CoHosted=false");
        }

        if (options.Durable)
        {
            settings.AddRange(["--Orleans:Clustering=Redis", $"--Redis:ConnectionString={options.Redis}"]);
            if (role != Role.Gateway)
            {
                settings.AddRange(["--Storage:Provider=Redis", "--History:Provider=Postgres", $"--Postgres:ConnectionString={options.Postgres}"]);
            }
        }

        settings.AddRange(options.NodeArguments);
        settings.AddRange(extra);
        return settings;
    }

    /// <summary>The settings as printed in the report: without connection strings.</summary>
    public static string Printable(IEnumerable<string> settings) =>
        string.Join(' ', settings.Where(s => !s.Contains("ConnectionString", StringComparison.Ordinal)));

    /// <summary>
    /// Starts the node; with <paramref name="externalBroker"/>, as a client of that broker (<c>Mqtt:Mode=External</c>),
    /// and then <see cref="MqttEndPoint"/> is the broker's: devices and operators talk to the node through it.
    /// </summary>
    public static async Task<SystemNode> StartAsync(BenchmarkOptions options, string runId, IEnumerable<string> extra, IPEndPoint? externalBroker = null)
    {
        var mqttPort = FreePort();
        var siloPort = FreePort();
        var httpPort = FreePort();
        var operatorKey = Convert.ToHexString(Guid.NewGuid().ToByteArray());
        var settings = Settings(options, runId, extra);
        var arguments = new List<string> { SiloDll(options) };
        arguments.AddRange(settings);
        arguments.AddRange(SiloPorts(siloPort));
        arguments.AddRange(GatewayEndpoints(mqttPort, httpPort, operatorKey));
        if (externalBroker is not null)
        {
            arguments.AddRange(
            [
                "--Mqtt:Mode=External", $"--Mqtt:External:Host={externalBroker.Address}", $"--Mqtt:External:Port={externalBroker.Port}",
                $"--Mqtt:External:ClientId=bench-gateway-{runId}",
            ]);
        }

        var process = ChildProcess.Start("node", "dotnet", arguments);
        var node = new SystemNode(process, externalBroker?.Port ?? mqttPort, siloPort, httpPort, operatorKey, "node settings: " + Printable(settings));
        return await UpOrStoppedAsync(node, () => externalBroker is null
            ? process.WaitForPortAsync(mqttPort, TimeSpan.FromSeconds(60))
            : WaitUntilReadyAsync(process, httpPort, TimeSpan.FromSeconds(60)));
    }

    /// <summary>Starts a standalone gateway (GatewayHost, built in Release) of the durable profile's cluster <paramref name="runId"/>, once it is ready.</summary>
    public static async Task<SystemNode> StartGatewayAsync(BenchmarkOptions options, string runId, string name, IEnumerable<string> extra)
    {
        var dll = Path.Combine(RepositoryRoot(), "GatewayHost", "bin", "Release", "net10.0", "Orleans.IoT.GatewayHost.dll");
        if (!File.Exists(dll))
        {
            throw new FileNotFoundException($"the standalone gateway is not built at {dll}: run 'dotnet build -c Release GatewayHost' (deploy/bench.sh does)");
        }

        var mqttPort = FreePort();
        var httpPort = FreePort();
        var operatorKey = Convert.ToHexString(Guid.NewGuid().ToByteArray());
        var settings = Settings(options, runId, extra, Role.Gateway);
        var process = ChildProcess.Start(name, "dotnet", [dll, .. settings, .. GatewayEndpoints(mqttPort, httpPort, operatorKey)]);
        var gateway = new SystemNode(process, mqttPort, 0, httpPort, operatorKey, "gateway settings: " + Printable(settings));
        return await UpOrStoppedAsync(gateway, () => WaitUntilReadyAsync(process, httpPort, TimeSpan.FromSeconds(60)));
    }

    /// <summary>Starts a silo without a gateway (<c>Gateway:CoHosted=false</c>) of the cluster <paramref name="runId"/>, once it is ready.</summary>
    public static async Task<ChildProcess> StartSiloAsync(BenchmarkOptions options, string runId, string name, IEnumerable<string> extra)
    {
        var httpPort = FreePort();
        var process = ChildProcess.Start(
            name, "dotnet", [SiloDll(options), .. Settings(options, runId, extra, Role.Silo), .. SiloPorts(FreePort()), $"--Urls=http://127.0.0.1:{httpPort}"]);
        return await UpOrStoppedAsync(process, () => WaitUntilReadyAsync(process, httpPort, TimeSpan.FromSeconds(60)));
    }

    public TimeSpan CpuTime() => Process.CpuTime();

    public long PeakMemoryBytes() => Process.PeakMemoryBytes();

    private static string SiloDll(BenchmarkOptions options)
    {
        var dll = options.NodeDll ?? Path.Combine(RepositoryRoot(), "Silo", "bin", "Release", "net10.0", "Orleans.IoT.Silo.dll");
        return File.Exists(dll)
            ? dll
            : throw new FileNotFoundException($"the node is not built at {dll}: run 'dotnet build -c Release Silo' (deploy/bench.sh does)");
    }

    /// <summary>Returns <paramref name="started"/> once <paramref name="up"/> completes; stops it when that fails.</summary>
    private static async Task<T> UpOrStoppedAsync<T>(T started, Func<Task> up)
        where T : IAsyncDisposable
    {
        try
        {
            await up();
        }
        catch
        {
            await started.DisposeAsync();
            throw;
        }

        return started;
    }

    private static string[] SiloPorts(int siloPort) => [$"--Orleans:SiloPort={siloPort}", $"--Orleans:GatewayPort={FreePort()}"];

    private static string[] GatewayEndpoints(int mqttPort, int httpPort, string operatorKey) =>
    [
        $"--Mqtt:Port={mqttPort}", "--Mqtt:BindAddress=127.0.0.1",
        $"--Urls=http://127.0.0.1:{httpPort}",
        $"--Auth:Operators:{OperatorName}={operatorKey}",
    ];

    /// <summary>Registers the devices as an operator; returns each device's token and when its registration was answered.</summary>
    public async Task<Dictionary<string, (string Token, long AnsweredAt)>> RegisterAsync(IReadOnlyList<string> deviceIds, TimeSpan timeout)
    {
        var tokens = new ConcurrentDictionary<string, (string Token, long AnsweredAt)>(StringComparer.Ordinal);
        var all = new TaskCompletionSource();
        using var client = await ConnectOperatorAsync();
        client.ApplicationMessageReceivedAsync += e =>
        {
            var topic = e.ApplicationMessage.Topic;
            var deviceId = topic["iot/devices/".Length..topic.IndexOf("/register/", StringComparison.Ordinal)];
            var json = System.Text.Json.JsonDocument.Parse(e.ApplicationMessage.ConvertPayloadToString()).RootElement;
            if (json.TryGetProperty("auth_token", out var token))
            {
                tokens[deviceId] = (token.GetString()!, System.Diagnostics.Stopwatch.GetTimestamp());
                if (tokens.Count == deviceIds.Count)
                {
                    all.TrySetResult();
                }
            }

            return Task.CompletedTask;
        };
        await client.SubscribeAsync("iot/devices/+/register/response", MqttQualityOfServiceLevel.AtLeastOnce);

        var payload = Encoding.UTF8.GetBytes("""{"name":"benchmark device","type":"simulated","capabilities":["temperature"]}""");
        await Parallel.ForEachAsync(deviceIds, new ParallelOptions { MaxDegreeOfParallelism = 64 }, async (deviceId, ct) =>
        {
            var message = new MqttApplicationMessageBuilder()
                .WithTopic($"iot/devices/register/{deviceId}")
                .WithPayload(payload)
                .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
                .Build();
            var result = await client.PublishAsync(message, ct);
            if (!result.IsSuccess)
            {
                throw new InvalidOperationException($"registering {deviceId} was refused: {result.ReasonCode} {result.ReasonString}");
            }
        });

        await all.Task.WaitAsync(timeout);
        await client.DisconnectAsync();
        return new Dictionary<string, (string Token, long AnsweredAt)>(tokens);
    }

    public async Task<IMqttClient> ConnectOperatorAsync()
    {
        var client = new MqttClientFactory().CreateMqttClient();
        var options = new MqttClientOptionsBuilder()
            .WithTcpServer("127.0.0.1", MqttPort)
            .WithClientId($"bench-operator-{Guid.NewGuid():N}")
            .WithCredentials(OperatorName, OperatorKey)
            .WithProtocolVersion(MQTTnet.Formatter.MqttProtocolVersion.V500)
            .WithTimeout(TimeSpan.FromSeconds(30))
            .Build();
        var connected = await client.ConnectAsync(options);
        if (connected.ResultCode != MqttClientConnectResultCode.Success)
        {
            throw new InvalidOperationException($"operator CONNECT refused: {connected.ResultCode}");
        }

        return client;
    }

    /// <summary>
    /// Waits for <c>/health/ready</c> (with an external broker: connected and subscribed; a standalone gateway: its
    /// broker listens and the cluster answers); fails at once, with its output, when <paramref name="process"/> exits.
    /// </summary>
    private static async Task WaitUntilReadyAsync(ChildProcess process, int httpPort, TimeSpan timeout)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"{process.Name} exited before it was ready:\n{process.Output()}");
            }

            try
            {
                using var response = await http.GetAsync($"http://127.0.0.1:{httpPort}/health/ready");
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{process.Name} was not ready within {timeout.TotalSeconds} s:\n{process.Output()}");
            }

            await Task.Delay(250);
        }
    }

    public ValueTask DisposeAsync() => Process.DisposeAsync();

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Orleans.IoT.sln")))
            {
                return directory.FullName;
            }
        }

        throw new DirectoryNotFoundException("Orleans.IoT.sln not found above the benchmark's folder; pass --node-dll");
    }
}
