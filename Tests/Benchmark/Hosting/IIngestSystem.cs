using System.Net;

namespace Orleans.IoT.Benchmark.Hosting;

/// <summary>What the ingest scenarios measure: one node, or a cluster of silos and gateways, each process its own.</summary>
public interface IIngestSystem : IAsyncDisposable
{
    /// <summary>The brokers the devices connect to, spread over them in turn.</summary>
    IReadOnlyList<IPEndPoint> DeviceEndPoints { get; }

    /// <summary>The processes and their settings, for the report (no connection strings).</summary>
    string Description { get; }

    /// <summary>Registers the devices as an operator; returns each device's token and when its registration was answered.</summary>
    Task<Dictionary<string, (string Token, long AnsweredAt)>> RegisterAsync(IReadOnlyList<string> deviceIds, TimeSpan timeout);

    /// <summary>User + system CPU of every process of the system so far.</summary>
    TimeSpan CpuTime();

    /// <summary>The peak resident memory of every process, summed.</summary>
    long PeakMemoryBytes();
}
