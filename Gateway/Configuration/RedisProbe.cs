using StackExchange.Redis;

namespace Orleans.IoT.Gateway.Configuration;

/// <summary>
/// The start-up check of <c>Redis:ConnectionString</c>, so that a wrong or unreachable Redis stops a silo or a gateway
/// with a message naming the setting instead of failing later inside a provider.
/// </summary>
public static class RedisProbe
{
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Parses <c>Redis:ConnectionString</c> and connects once.</summary>
    public static async Task<ConfigurationOptions> ConnectAsync(string connectionString)
    {
        ConfigurationOptions options;
        try
        {
            options = ConfigurationOptions.Parse(connectionString);
        }
        catch (ArgumentException ex)
        {
            throw new ConfigurationException([$"Redis:ConnectionString '{connectionString}' is not a Redis connection string: {ex.Message}"]);
        }

        var probe = options.Clone();
        probe.AbortOnConnectFail = true;
        probe.ConnectTimeout = (int)ConnectTimeout.TotalMilliseconds;
        try
        {
            await using var connection = await ConnectionMultiplexer.ConnectAsync(probe);
            await connection.GetDatabase().PingAsync();
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            throw new ConfigurationException([$"Redis:ConnectionString '{options.ToString(includePassword: false)}': cannot reach Redis: {ex.Message}"]);
        }

        return options;
    }
}
