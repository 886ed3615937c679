using System.Net.Sockets;
using System.Text;
using Npgsql;

namespace Orleans.IoT.Silo.Adapters.Postgres;

/// <summary>What a failed write to PostgreSQL means for the rows it carried.</summary>
public static class PostgresFaults
{
    /// <summary>
    /// PostgreSQL or the way to it is down, restarting or overloaded: the same write may succeed later. SQLSTATE
    /// classes 08 (connection), 53 (insufficient resources), 57 (operator intervention: shutdown, cannot connect now)
    /// and 58 (system error), and the network faults Npgsql reports.
    /// </summary>
    public static bool IsPassing(Exception exception) => exception switch
    {
        PostgresException postgres => postgres.IsTransient || postgres.SqlState[..2] is "08" or "53" or "57" or "58",
        NpgsqlException npgsql => npgsql.IsTransient || npgsql.InnerException is { } inner && IsPassing(inner),
        IOException or SocketException or TimeoutException => true,
        _ => false,
    };

    /// <summary>
    /// PostgreSQL refused the rows for what they hold: a data exception (class 22, e.g. a NUL byte in text), an
    /// integrity violation other than a duplicate key (class 23; duplicates are merged), a program limit (class 54,
    /// e.g. a row too large for its index), or text Npgsql cannot encode (a lone surrogate). Written alone, the rows
    /// that are not at fault are stored.
    /// </summary>
    public static bool IsRefusal(Exception exception) => exception switch
    {
        PostgresException postgres => postgres.SqlState[..2] is "22" or "54"
            || postgres.SqlState[..2] is "23" && postgres.SqlState != PostgresErrorCodes.UniqueViolation,
        EncoderFallbackException => true,
        _ => false,
    };

    /// <summary>
    /// A connection that sat open while idle was found dead on its next use (PostgreSQL restarted, the network was
    /// cut): worth one immediate try on a new connection before calling it an outage.
    /// </summary>
    public static bool IsLostConnection(Exception exception) =>
        exception is NpgsqlException and not PostgresException && IsPassing(exception);

    /// <summary>What went wrong, for a log line without a stack trace: the message and the cause beneath it.</summary>
    public static string Describe(Exception exception) =>
        exception.InnerException is { } inner ? $"{exception.Message}: {inner.Message}" : exception.Message;

    /// <summary>
    /// Why PostgreSQL refused rows, by SQLSTATE only: its messages and details may quote the refused text, which
    /// logs and replies never echo.
    /// </summary>
    public static string RefusalReason(Exception exception) => exception switch
    {
        PostgresException postgres => $"SQLSTATE {postgres.SqlState}",
        _ => "text that cannot be encoded as UTF-8",
    };
}
