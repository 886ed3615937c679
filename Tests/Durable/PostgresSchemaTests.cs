using Npgsql;
using Orleans.IoT.Silo.Adapters.Postgres;

namespace Orleans.IoT.Tests.Durable;

/// <summary>The schema set-up each silo runs at start, against the real PostgreSQL.</summary>
public sealed class PostgresSchemaTests
{
    private readonly string _postgres = DurableNodeFixture.Required(DurableNodeFixture.PostgresVariable, "PostgreSQL");

    [Fact]
    public async Task Silos_starting_together_on_a_missing_database_create_it_once_and_all_start()
    {
        var database = $"orleans_iot_race_{Guid.NewGuid():N}";
        var connectionString = new NpgsqlConnectionStringBuilder(_postgres) { Database = database }.ConnectionString;
        try
        {
            // Before the fix, one of two silos started together failed with 23505 on pg_database_datname_index.
            await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => Task.Run(() => PostgresSchema.MigrateAsync(connectionString, CancellationToken.None))));

            await using var connection = new NpgsqlConnection(connectionString);
            await connection.OpenAsync();
            await using var versions = new NpgsqlCommand("SELECT count(*), max(version) FROM schema_migrations", connection);
            await using var row = await versions.ExecuteReaderAsync();
            Assert.True(await row.ReadAsync());
            Assert.Equal((long)PostgresSchema.LatestVersion, row.GetInt64(0));
            Assert.Equal(PostgresSchema.LatestVersion, row.GetInt32(1));
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            await using var admin = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(_postgres) { Database = "postgres" }.ConnectionString);
            await admin.OpenAsync();
            await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)", admin);
            await drop.ExecuteNonQueryAsync();
        }
    }
}
