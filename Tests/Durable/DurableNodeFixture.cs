using System.Net;
using Npgsql;
using Orleans.IoT.Tests.EndToEnd;

namespace Orleans.IoT.Tests.Durable;

/// <summary>
/// The co-hosted node in the durable profile: Redis clustering and grain state, PostgreSQL history. The
/// services come from ORLEANS_IOT_TEST_REDIS and ORLEANS_IOT_TEST_POSTGRES (deploy/test.sh starts them);
/// PostgreSQL is reached through a proxy so that a test can cut it off.
/// </summary>
public sealed class DurableNodeFixture : NodeFixture
{
    public const string RedisVariable = "ORLEANS_IOT_TEST_REDIS";
    public const string PostgresVariable = "ORLEANS_IOT_TEST_POSTGRES";

    private readonly string _redis = Required(RedisVariable, "Redis");
    private readonly string _postgres = Required(PostgresVariable, "PostgreSQL");
    private readonly string _serviceId = $"test-{Guid.NewGuid():N}";
    private TcpProxy? _proxy;

    /// <summary>Stands between the node and PostgreSQL.</summary>
    public TcpProxy PostgresProxy => _proxy ??= new TcpProxy(PostgresEndPoint());

    /// <summary>PostgreSQL's own connection string, not through the proxy.</summary>
    public string PostgresConnectionString => _postgres;

    /// <summary>PostgreSQL itself, not through the proxy, for tests of the adapters on their own.</summary>
    public NpgsqlDataSource CreateDataSource() => NpgsqlDataSource.Create(_postgres);

    /// <summary>A proxy of its own to PostgreSQL, and a data source that goes through it.</summary>
    public (TcpProxy Proxy, NpgsqlDataSource DataSource) CreateProxiedDataSource()
    {
        var proxy = CreatePostgresProxy();
        return (proxy, NpgsqlDataSource.Create(Through(proxy)));
    }

    /// <summary>A connection straight to PostgreSQL, not through the proxy, for assertions.</summary>
    public NpgsqlConnection OpenDatabase()
    {
        var connection = new NpgsqlConnection(_postgres);
        connection.Open();
        return connection;
    }

    public long CountReadings(string deviceId)
    {
        using var connection = OpenDatabase();
        using var command = new NpgsqlCommand("SELECT count(*) FROM sensor_readings WHERE device_id = $1", connection);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = deviceId });
        return (long)command.ExecuteScalar()!;
    }

    protected override IEnumerable<string> ExtraArguments
    {
        get
        {
            return
            [
                "--Orleans:Clustering=Redis",
                "--Storage:Provider=Redis",
                "--History:Provider=Postgres",
                $"--Redis:ConnectionString={_redis}",
                $"--Postgres:ConnectionString={Through(PostgresProxy)}",
                $"--Orleans:ServiceId={_serviceId}",
                $"--Orleans:ClusterId={_serviceId}",
                "--RateLimit:MaxRegistrationsPerClient=1000000", // a fleet's registrations at once come from a few provisioning clients here
            ];
        }
    }

    /// <summary>The Redis the fixture's node uses, for another node of the same tests.</summary>
    public string RedisConnectionString => _redis;

    /// <summary>A proxy of its own to PostgreSQL, for another node of the same tests.</summary>
    public TcpProxy CreatePostgresProxy() => new(PostgresEndPoint());

    /// <summary>The PostgreSQL connection string, pointed at <paramref name="proxy"/>.</summary>
    public string Through(TcpProxy proxy) =>
        new NpgsqlConnectionStringBuilder(_postgres) { Host = "127.0.0.1", Port = proxy.Port }.ConnectionString;

    private IPEndPoint PostgresEndPoint()
    {
        var builder = new NpgsqlConnectionStringBuilder(_postgres);
        var address = Dns.GetHostAddresses(builder.Host!).First(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork);
        return new IPEndPoint(address, builder.Port);
    }

    public static string Required(string variable, string service) =>
        Environment.GetEnvironmentVariable(variable) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException(
                $"{service} is required by the durable-profile tests: set {variable} (deploy/test.sh starts {service} and sets it).");
}

[CollectionDefinition(Name)]
public sealed class DurableCollection : ICollectionFixture<DurableNodeFixture>
{
    public const string Name = "durable";
}
