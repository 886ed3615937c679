using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;
using Orleans.IoT.Tests.EndToEnd;

namespace Orleans.IoT.Tests.Cluster;

/// <summary>
/// The multi-process cluster of <c>deploy/cluster.sh</c>, started by the script itself: two silos without a broker, two
/// standalone gateways, and a Redis (append-only file) and a PostgreSQL of its own, so that the fault tests can stop
/// them without touching the services every other test shares. Failure detection and the gateway directory are
/// shortened so that a killed node is noticed within seconds.
/// </summary>
public class ProcessClusterFixture : IAsyncLifetime
{
    public const string OperatorKey = "cluster-test-key";
    public const string Silo1 = "silo-1";
    public const string Silo2 = "silo-2";
    public const string Gateway1 = "gateway-1";
    public const string Gateway2 = "gateway-2";
    public const string Redis = "redis";
    public const string Postgres = "postgres";

    /// <summary>The ports of deploy/cluster.sh's layout, from its base port.</summary>
    private const int PortsUsed = 60;

    private readonly string _directory = Path.Combine(Path.GetTempPath(), $"orleans-iot-cluster-test.{Guid.NewGuid():N}");

    public int BasePort { get; } = FreeBasePort();

    /// <summary>The MQTT ports of gateway-1 and gateway-2.</summary>
    public IReadOnlyList<int> GatewayMqttPorts => [BasePort + 41, BasePort + 42];

    /// <summary>The HTTP port (operator API) of gateway <paramref name="gateway"/> (1 or 2).</summary>
    public int ApiPort(int gateway) => BasePort + 50 + gateway;

    /// <summary>Settings every gateway gets besides the cluster's.</summary>
    protected virtual IEnumerable<string> GatewayArguments => [];

    public virtual async Task InitializeAsync()
    {
        try
        {
            await RunAsync(TimeSpan.FromMinutes(4), "start");
        }
        catch
        {
            await DisposeAsync();
            throw;
        }
    }

    public virtual Task DisposeAsync() => RunAsync(TimeSpan.FromMinutes(2), "stop");

    /// <summary>Starts whatever is not running (deploy/cluster.sh start leaves running parts alone) and waits until all are ready.</summary>
    public Task RestoreAsync() => RunAsync(TimeSpan.FromMinutes(2), "start");

    /// <summary>SIGKILL: the node crashes.</summary>
    public Task KillAsync(string node) => RunAsync(TimeSpan.FromMinutes(1), "kill", node);

    /// <summary>Stops a node cleanly, or Redis or PostgreSQL (keeping its data).</summary>
    public Task HaltAsync(string part) => RunAsync(TimeSpan.FromMinutes(1), "halt", part);

    /// <summary>Starts a node, Redis or PostgreSQL again and waits until it is ready.</summary>
    public Task StartAsync(string part) => RunAsync(TimeSpan.FromMinutes(2), "start", part);

    /// <summary>Devices online whose grain is active in silo <paramref name="silo"/> (1 or 2), from its <c>/metrics</c>.</summary>
    public async Task<int> DevicesOnlineInAsync(int silo)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var metrics = await http.GetStringAsync($"http://127.0.0.1:{BasePort + 30 + silo}/metrics");
        var line = metrics.Split('\n').Single(l => l.StartsWith("orleans_iot_devices_online", StringComparison.Ordinal));
        return int.Parse(line[(line.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>A connection of its own (no pool: a pooled one may be one PostgreSQL's restart ended).</summary>
    public NpgsqlConnection OpenDatabase()
    {
        var connection = new NpgsqlConnection($"Host=127.0.0.1;Port={BasePort + 1};Username=postgres;Database=orleans_iot;Pooling=false");
        connection.Open();
        return connection;
    }

    /// <summary>The last lines of every node's log, for a failure's message.</summary>
    public string LogTails(int lines = 15) =>
        string.Join('\n', new[] { Silo1, Silo2, Gateway1, Gateway2 }.Select(node =>
        {
            var path = Path.Combine(_directory, $"{node}.log");
            var tail = File.Exists(path) ? File.ReadLines(path).TakeLast(lines) : ["(no log)"];
            return $"--- {node}\n{string.Join('\n', tail)}";
        }));

    private async Task<string> RunAsync(TimeSpan timeout, params string[] arguments)
    {
        var root = NodeProcess.RepositoryRoot();
        var info = new ProcessStartInfo("bash")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = root,
        };
        info.ArgumentList.Add(Path.Combine(root, "deploy", "cluster.sh"));
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        info.Environment["ORLEANS_IOT_CLUSTER_DIR"] = _directory;
        info.Environment["CLUSTER_BASE_PORT"] = BasePort.ToString(System.Globalization.CultureInfo.InvariantCulture);
        info.Environment["CLUSTER_OPERATOR_KEY"] = OperatorKey;
        // What the test run built: .../Tests/bin/<configuration>/<framework>/
        info.Environment["CLUSTER_NO_BUILD"] = "1";
        info.Environment["CLUSTER_CONFIGURATION"] = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name;
        info.Environment["CLUSTER_SILO_ARGS"] = string.Join(' ',
            "--Orleans:Membership:ProbeTimeout=00:00:01", "--Orleans:Membership:NumMissedProbesLimit=2",
            "--Orleans:Membership:NumVotesForDeathDeclaration=1", "--Orleans:Membership:TableRefreshTimeout=00:00:02",
            "--Gateway:ExpirySeconds=4", "--Gateway:DirectoryRefreshMilliseconds=500");
        info.Environment["CLUSTER_GATEWAY_ARGS"] = string.Join(' ', GatewayArguments.Prepend("--Gateway:RenewSeconds=1"));

        using var process = Process.Start(info) ?? throw new InvalidOperationException("could not start deploy/cluster.sh");
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"deploy/cluster.sh {string.Join(' ', arguments)} did not finish in {timeout}\n{LogTails()}");
        }

        var text = await output + await errors;
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"deploy/cluster.sh {string.Join(' ', arguments)} failed (exit {process.ExitCode}):\n{text}\n{LogTails()}");
        }

        return text;
    }

    /// <summary>A base port with the cluster's ports free above it.</summary>
    private static int FreeBasePort()
    {
        for (var attempt = 0; attempt < 50; attempt++)
        {
            var candidate = Random.Shared.Next(20_000, 32_700);
            if (Enumerable.Range(candidate, PortsUsed).All(IsFree))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException("no run of 60 free loopback ports found between 20000 and 32768 (below the ephemeral range, where other tests take theirs)");
    }

    private static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}

/// <summary>The same cluster with its gateways clients of a throw-away Mosquitto (<c>Mqtt:Mode=External</c>).</summary>
public sealed class ExternalProcessClusterFixture : ProcessClusterFixture
{
    private MosquittoBroker? _broker;

    public MosquittoBroker Broker => _broker ?? throw new InvalidOperationException("the broker is not started");

    /// <summary>The broker's settings; deploy/cluster.sh gives each gateway its own client id.</summary>
    protected override IEnumerable<string> GatewayArguments =>
        ExternalNodeFixture.GatewayArguments(Broker, clientId: "-").Where(argument => !argument.StartsWith("--Mqtt:External:ClientId=", StringComparison.Ordinal));

    public override async Task InitializeAsync()
    {
        _broker = await MosquittoBroker.StartAsync((NodeFixture.OperatorName, OperatorKey));
        await base.InitializeAsync();
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        if (_broker is not null)
        {
            await _broker.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ExternalProcessClusterCollection : ICollectionFixture<ExternalProcessClusterFixture>
{
    public const string Name = "external-process-cluster";
}

/// <summary>
/// The multi-process cluster's tests run alone, after every other collection: they stop Redis, PostgreSQL and nodes
/// for tens of seconds and measure recovery, which other tests' load on this machine's two cores would blur.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessClusterCollection : ICollectionFixture<ProcessClusterFixture>
{
    public const string Name = "process-cluster";
}
