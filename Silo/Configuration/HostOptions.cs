using System.ComponentModel.DataAnnotations;

namespace Orleans.IoT.Silo.Configuration;

/// <summary><c>Orleans:*</c> settings.</summary>
public sealed class OrleansHostOptions : IValidatableObject
{
    public const string Section = "Orleans";

    public const string Localhost = "Localhost";
    public const string Redis = "Redis";

    [RegularExpression("^(Localhost|Redis)$", ErrorMessage = "Orleans:Clustering must be 'Localhost' or 'Redis'")]
    public string Clustering { get; set; } = "Localhost";

    [Required(AllowEmptyStrings = false)]
    public string ClusterId { get; set; } = "dev";

    [Required(AllowEmptyStrings = false)]
    public string ServiceId { get; set; } = "orleans-iot";

    [Range(1, 65535)]
    public int SiloPort { get; set; } = 11111;

    [Range(1, 65535)]
    public int GatewayPort { get; set; } = 30000;

    /// <summary>
    /// Hosts the Orleans dashboard at <c>/dashboard</c>. Its call filter wraps every grain call and it listens to
    /// Orleans' meters: about 4 % of the node's CPU at 8,000 readings/s (see README, Performance).
    /// </summary>
    public bool Dashboard { get; set; } = true;

    /// <summary>The address other silos and clients reach this silo at (Redis clustering).</summary>
    public string AdvertisedAddress { get; set; } = "127.0.0.1";

    /// <summary>
    /// The silo runs in a Kubernetes pod (<c>UseKubernetesHosting</c>): it is named after its pod, labels the pod with
    /// the cluster's ids, and declares silos dead as soon as their pods are gone. It reads <c>POD_NAME</c>,
    /// <c>POD_NAMESPACE</c> and <c>POD_IP</c> and needs to get, list, watch and patch pods (deploy/k8s/rbac.yaml).
    /// </summary>
    public bool Kubernetes { get; set; }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Kubernetes && Clustering != Redis)
        {
            yield return new ValidationResult(
                "Orleans:Kubernetes needs Orleans:Clustering=Redis: with Localhost clustering every pod would be a cluster of its own",
                [nameof(Kubernetes)]);
        }
    }
}

/// <summary><c>Storage:*</c>: where grain state lives.</summary>
public sealed class StorageOptions
{
    public const string Section = "Storage";

    public const string Memory = "Memory";
    public const string Redis = "Redis";

    [RegularExpression("^(Memory|Redis)$", ErrorMessage = "Storage:Provider must be 'Memory' or 'Redis'")]
    public string Provider { get; set; } = "Memory";
}

/// <summary><c>History:*</c>: where sensor history and the device catalog live.</summary>
public sealed class HistoryOptions
{
    public const string Section = "History";

    public const string Memory = "Memory";
    public const string Postgres = "Postgres";

    [RegularExpression("^(Memory|Postgres)$", ErrorMessage = "History:Provider must be 'Memory' or 'Postgres'")]
    public string Provider { get; set; } = Memory;

    /// <summary>The in-memory store keeps at most this many readings per device and sensor.</summary>
    [Range(1, 10_000_000)]
    public int MaxReadingsPerSeries { get; set; } = 10_000;

    /// <summary>Readings written to PostgreSQL in one COPY at most.</summary>
    [Range(1, 1_000_000)]
    public int BatchSize { get; set; } = 5000;

    /// <summary>How long a batch smaller than <see cref="BatchSize"/> waits for more readings.</summary>
    [Range(0, 1000)]
    public int MaxBatchDelayMilliseconds { get; set; } = 2;

    /// <summary>Batches written at once, each on its own connection.</summary>
    [Range(1, 16)]
    public int Writers { get; set; } = 2;

    /// <summary>Readings waiting to be written; when full, devices wait (back-pressure).</summary>
    [Range(1, 10_000_000)]
    public int QueueCapacity { get; set; } = 50_000;

    /// <summary>
    /// How long readings wait, unacknowledged, for an unreachable PostgreSQL before their batches fail as a passing
    /// fault (the devices resend them); shorter outages are ridden out. Grain calls are given this long and more.
    /// </summary>
    [Range(0, 3600, ErrorMessage = "History:MaxOutageSeconds must be between 0 and 3600")]
    public int MaxOutageSeconds { get; set; } = 30;
}

/// <summary>
/// <c>Audit:*</c>: the lifecycle audit (every state of a command, config change or firmware update). It lives where
/// <c>History:Provider</c> puts the history: in memory or in PostgreSQL.
/// </summary>
public sealed class AuditOptions
{
    public const string Section = "Audit";

    /// <summary>The in-memory audit keeps the newest this many entries per device.</summary>
    [Range(1, 1_000_000, ErrorMessage = "Audit:MaxEntriesPerDevice must be between 1 and 1000000")]
    public int MaxEntriesPerDevice { get; set; } = 1000;

    /// <summary>Entries written to PostgreSQL in one statement at most.</summary>
    [Range(1, 10_000, ErrorMessage = "Audit:BatchSize must be between 1 and 10000")]
    public int BatchSize { get; set; } = 1000;

    /// <summary>Entries waiting to be written to PostgreSQL (they are kept through an outage).</summary>
    [Range(1, 10_000_000, ErrorMessage = "Audit:QueueCapacity must be between 1 and 10000000")]
    public int QueueCapacity { get; set; } = 100_000;

    /// <summary>
    /// How long a grain recording an entry waits for room in a full queue before the entry is dropped (counted and
    /// logged), so that a long PostgreSQL outage slows the grains' lifecycles by this much at most.
    /// </summary>
    [Range(0, 60_000, ErrorMessage = "Audit:QueueFullWaitMilliseconds must be between 0 and 60000")]
    public int QueueFullWaitMilliseconds { get; set; } = 2000;
}

/// <summary>
/// <c>Alerts:*</c> of the alert store (the rules themselves are <c>Alerts:Rules</c>, the grains' settings). It lives where
/// <c>History:Provider</c> puts the history: in memory or in PostgreSQL.
/// </summary>
public sealed class AlertStoreOptions
{
    public const string Section = "Alerts";

    /// <summary>The in-memory store keeps this many alerts per device at most: the active ones and the newest cleared.</summary>
    [Range(1, 100_000, ErrorMessage = "Alerts:MaxPerDevice must be between 1 and 100000")]
    public int MaxPerDevice { get; set; } = 100;

    /// <summary>
    /// Alerts waiting to be written to PostgreSQL (they are kept through an outage); one more than this is dropped and
    /// logged as an Error.
    /// </summary>
    [Range(1, 10_000_000, ErrorMessage = "Alerts:QueueCapacity must be between 1 and 10000000")]
    public int QueueCapacity { get; set; } = 100_000;
}

/// <summary><c>Gateway:*</c>.</summary>
public sealed class GatewayHostOptions
{
    public const string Section = "Gateway";

    /// <summary>
    /// The silo hosts the gateway (broker, router, HTTP API) in-process. False: a silo only, for standalone gateways
    /// (<c>Orleans.IoT.GatewayHost</c>) to connect to; it keeps <c>/health</c>, <c>/metrics</c> and the dashboard.
    /// </summary>
    public bool CoHosted { get; set; } = true;
}

/// <summary><c>Postgres:*</c>.</summary>
public sealed class PostgresOptions
{
    public const string Section = "Postgres";

    [Required(AllowEmptyStrings = false, ErrorMessage = "Postgres:ConnectionString is required")]
    public string ConnectionString { get; set; } = "Host=localhost;Username=postgres;Database=orleans_iot";

    /// <summary>
    /// Connections this node opens to PostgreSQL at most (it overrides <c>Max Pool Size</c> in the connection
    /// string), so that several nodes fit PostgreSQL's default of 100. Each history writer and the catalog writer
    /// hold one.
    /// </summary>
    [Range(1, 1000, ErrorMessage = "Postgres:MaxPoolSize must be between 1 and 1000")]
    public int MaxPoolSize { get; set; } = 20;
}
