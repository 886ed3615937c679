namespace Orleans.IoT.Benchmark;

/// <summary>Command-line settings: <c>--name value</c> pairs after the scenario name.</summary>
public sealed class BenchmarkOptions
{
    public string Scenario { get; private init; } = "all";

    public string Profile { get; private init; } = "durable";

    public int Connections { get; private init; } = 1000;

    public int InFlight { get; private init; } = 8;

    public int HeartbeatEvery { get; private init; }

    /// <summary>Offered readings per second of <c>ingest-paced</c>, over all connections (the first of <c>--rate</c>'s values).</summary>
    public int Rate { get; private init; } = 10_000;

    /// <summary>The command rates of <c>commands</c>, one measured level each (<c>--rate 50,1000</c>).</summary>
    public IReadOnlyList<int> CommandRates { get; private init; } = [50, 1000];

    /// <summary>Registered devices that receive the <c>commands</c> scenario's commands, round robin.</summary>
    public int CommandDevices { get; private init; } = 100;

    /// <summary>Whether the <c>commands</c> scenario's devices answer each command with a result (<c>--command-results yes|no</c>).</summary>
    public bool CommandResults { get; private init; } = true;

    /// <summary>Operator connections that send the <c>commands</c> scenario's commands, round robin.</summary>
    public int Operators { get; private init; } = 4;

    /// <summary>The bare broker routes what it receives to its subscribers (the <c>commands</c> reference) instead of dropping it.</summary>
    public bool Route { get; private init; }

    public double WarmupSeconds { get; private init; } = 5;

    public double DurationSeconds { get; private init; } = 20;

    public int IdleConnections { get; private init; } = 100_000;

    public int Grains { get; private init; } = 1_000_000;

    public int OfflineDevices { get; private init; } = 1000;

    public int OfflineAfterSeconds { get; private init; } = 10;

    /// <summary>Catalog rows the <c>fleet</c> scenario reads its report over.</summary>
    public int FleetDevices { get; private init; } = 100_000;

    /// <summary>Measured loads of each page in the <c>console</c> scenario, after a quarter as many warm-up loads.</summary>
    public int ConsoleLoads { get; private init; } = 20;

    public string Redis { get; private init; } = Environment.GetEnvironmentVariable("ORLEANS_IOT_TEST_REDIS") ?? "127.0.0.1:16379";

    public string Postgres { get; private init; } =
        Environment.GetEnvironmentVariable("ORLEANS_IOT_TEST_POSTGRES") ?? "Host=127.0.0.1;Port=15432;Username=postgres;Database=orleans_iot";

    public string? NodeDll { get; private init; }

    public int Port { get; private init; }

    /// <summary>Extra node settings, e.g. <c>--node-args "--Orleans:Dashboard=false"</c>.</summary>
    public IReadOnlyList<string> NodeArguments { get; private init; } = [];

    public bool Durable => Profile == "durable";

    public static BenchmarkOptions Parse(string[] args)
    {
        var scenario = args.Length > 0 && !args[0].StartsWith("--", StringComparison.Ordinal) ? args[0] : "all";
        var values = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        for (var i = scenario == "all" && (args.Length == 0 || args[0].StartsWith("--", StringComparison.Ordinal)) ? 0 : 1; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal))
            {
                throw new ArgumentException($"expected --name value, got '{args[i]}'");
            }

            var name = args[i][2..];
            if (name is "smoke" or "route")
            {
                values[name] = "true";
                continue;
            }

            if (i + 1 >= args.Length)
            {
                throw new ArgumentException($"--{name} needs a value");
            }

            values[name] = args[++i];
        }

        var smoke = values.ContainsKey("smoke");
        var rates = values.TryGetValue("rate", out var rateText) ? Numbers(rateText, "rate") : null;
        var options = new BenchmarkOptions
        {
            Scenario = scenario,
            Profile = Text(values, "profile", "durable"),
            Connections = Number(values, "connections", smoke ? 50 : 1000),
            InFlight = Number(values, "in-flight", 8),
            HeartbeatEvery = Number(values, "heartbeat-every", 0),
            Rate = rates?[0] ?? (smoke ? 500 : 10_000),
            CommandRates = rates ?? (smoke ? [20, 100] : [50, 1000]),
            CommandDevices = Number(values, "command-devices", smoke ? 5 : 100),
            Operators = Number(values, "operators", smoke ? 2 : 4),
            CommandResults = Text(values, "command-results", "yes") switch
            {
                "yes" => true,
                "no" => false,
                _ => throw new ArgumentException("--command-results is yes or no"),
            },
            Route = values.ContainsKey("route"),
            WarmupSeconds = Number(values, "warmup", smoke ? 1 : 5),
            DurationSeconds = Number(values, "duration", smoke ? 2 : 20),
            IdleConnections = Number(values, "idle-connections", smoke ? 200 : 100_000),
            Grains = Number(values, "grains", smoke ? 2000 : 1_000_000),
            OfflineDevices = Number(values, "offline-devices", smoke ? 20 : 1000),
            OfflineAfterSeconds = Number(values, "offline-after", smoke ? 3 : 10),
            FleetDevices = Number(values, "fleet-devices", smoke ? 2000 : 100_000),
            ConsoleLoads = Number(values, "console-loads", smoke ? 4 : 20),
            NodeDll = values.GetValueOrDefault("node-dll"),
            Port = Number(values, "port", 0),
            NodeArguments = values.TryGetValue("node-args", out var nodeArgs) ? nodeArgs.Split(' ', StringSplitOptions.RemoveEmptyEntries) : [],
        };
        if (values.TryGetValue("redis", out var redis))
        {
            options = options.With(redis: redis);
        }

        if (values.TryGetValue("postgres", out var postgres))
        {
            options = options.With(postgres: postgres);
        }

        if (options.Profile is not ("durable" or "embedded"))
        {
            throw new ArgumentException("--profile is durable or embedded");
        }

        return options;
    }

    private BenchmarkOptions With(string? redis = null, string? postgres = null) => new()
    {
        Scenario = Scenario,
        Profile = Profile,
        Connections = Connections,
        InFlight = InFlight,
        HeartbeatEvery = HeartbeatEvery,
        Rate = Rate,
        CommandRates = CommandRates,
        CommandDevices = CommandDevices,
        Operators = Operators,
        CommandResults = CommandResults,
        Route = Route,
        WarmupSeconds = WarmupSeconds,
        DurationSeconds = DurationSeconds,
        IdleConnections = IdleConnections,
        Grains = Grains,
        OfflineDevices = OfflineDevices,
        OfflineAfterSeconds = OfflineAfterSeconds,
        FleetDevices = FleetDevices,
        ConsoleLoads = ConsoleLoads,
        NodeDll = NodeDll,
        Port = Port,
        NodeArguments = NodeArguments,
        Redis = redis ?? Redis,
        Postgres = postgres ?? Postgres,
    };

    private static string Text(Dictionary<string, string> values, string name, string fallback) => values.GetValueOrDefault(name) ?? fallback;

    /// <summary>One or more positive whole numbers, comma-separated.</summary>
    private static int[] Numbers(string text, string name)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        return parts.All(p => int.TryParse(p, out var v) && v > 0)
            ? [.. parts.Select(int.Parse).Distinct()]
            : throw new ArgumentException($"--{name} takes one or more positive whole numbers, comma-separated (e.g. 50,1000)");
    }

    private static int Number(Dictionary<string, string> values, string name, int fallback) =>
        values.TryGetValue(name, out var text)
            ? int.TryParse(text, out var value) && value >= 0 ? value : throw new ArgumentException($"--{name} takes a whole number")
            : fallback;
}
