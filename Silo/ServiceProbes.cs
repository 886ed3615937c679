using Npgsql;
using Orleans.IoT.Gateway.Configuration;
using Orleans.IoT.Silo.Adapters.Postgres;

namespace Orleans.IoT.Silo;

/// <summary>
/// Start-up checks of PostgreSQL, so that a wrong or unreachable connection string stops the node with a message naming
/// its setting instead of failing later inside a provider (Redis: <see cref="RedisProbe"/>).
/// </summary>
public static class ServiceProbes
{
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Parses <c>Postgres:ConnectionString</c>, creates the database if needed and migrates the schema.</summary>
    public static async Task<string> PostgresAsync(string connectionString, CancellationToken cancellationToken)
    {
        NpgsqlConnectionStringBuilder builder;
        try
        {
            builder = new NpgsqlConnectionStringBuilder(connectionString);
        }
        catch (ArgumentException ex)
        {
            throw new ConfigurationException([$"Postgres:ConnectionString is not a PostgreSQL connection string: {ex.Message}"]);
        }

        if (builder.Timeout > ConnectTimeout.TotalSeconds)
        {
            builder.Timeout = (int)ConnectTimeout.TotalSeconds;
        }

        // Closed when done rather than left idle in a pool outside Postgres:MaxPoolSize.
        builder.Pooling = false;

        try
        {
            await PostgresSchema.MigrateAsync(builder.ConnectionString, cancellationToken);
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException or System.Net.Sockets.SocketException)
        {
            var shown = new NpgsqlConnectionStringBuilder(builder.ConnectionString) { Password = null };
            throw new ConfigurationException([$"Postgres:ConnectionString '{shown}': cannot reach PostgreSQL or prepare its schema: {ex.Message}"]);
        }

        return connectionString;
    }
}
