using Npgsql;

namespace Orleans.IoT.Silo.Adapters.Postgres;

/// <summary>How the adapters read: on a pooled connection, once more on a new one when it was found dead.</summary>
public static class PostgresReads
{
    /// <summary>
    /// Runs <paramref name="query"/> on a pooled connection, once more when that connection was found dead (PostgreSQL
    /// restarted); PostgreSQL unreachable is a <see cref="PassingFaultException"/> naming <paramref name="what"/>.
    /// </summary>
    public static async Task<T> RetryOnceAsync<T>(
        NpgsqlDataSource dataSource, string what, Func<NpgsqlConnection, Task<T>> query, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
                return await query(connection);
            }
            catch (Exception ex) when (attempt == 1 && PostgresFaults.IsLostConnection(ex) && !cancellationToken.IsCancellationRequested)
            {
                // A pooled connection found dead: once more, on a new one.
            }
            catch (Exception ex) when (PostgresFaults.IsPassing(ex) && !cancellationToken.IsCancellationRequested)
            {
                throw new PassingFaultException($"{what} cannot be read now: PostgreSQL is unreachable", ex);
            }
        }
    }
}
