using System.Diagnostics;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Orleans.IoT.Benchmark.Hosting;
using Orleans.IoT.Silo;

namespace Orleans.IoT.Benchmark.Scenarios;

/// <summary>
/// Activates N device grains in one silo, hosted in this process so that its managed heap can be measured
/// exactly, and reports the memory each activation costs.
/// </summary>
public sealed class GrainsScenario : IScenario
{
    public string Name => "grains";

    public async Task RunAsync(BenchmarkOptions options, Report report)
    {
        var runId = RunIds.New();
        var arguments = SystemNode.Settings(options, runId,
        [
            $"--Mqtt:Port={SystemNode.FreePort()}", "--Mqtt:BindAddress=127.0.0.1",
            $"--Orleans:SiloPort={SystemNode.FreePort()}", $"--Orleans:GatewayPort={SystemNode.FreePort()}",
            $"--Urls=http://127.0.0.1:{SystemNode.FreePort()}",
        ]);
        await using var app = await IoTNode.BuildAsync([.. arguments]);
        await app.StartAsync();
        var grains = app.Services.GetRequiredService<IGrainFactory>();

        // Warm the call path so that one-time allocations are not counted per grain.
        await grains.GetGrain<IDeviceGrain>($"{runId}-warmup").GetSnapshot();
        var heapBefore = SettledHeap();
        var rssBefore = ProcessMemory.Read(Environment.ProcessId, "VmRSS:");

        var started = Stopwatch.StartNew();
        const int concurrency = 2000;
        var pending = new List<Task>(concurrency);
        for (var i = 0; i < options.Grains; i++)
        {
            pending.Add(grains.GetGrain<IDeviceGrain>($"{runId}-{i}").GetSnapshot());
            if (pending.Count == concurrency)
            {
                await Task.WhenAll(pending);
                pending.Clear();
            }
        }

        await Task.WhenAll(pending);
        var seconds = started.Elapsed.TotalSeconds;
        var heapAfter = SettledHeap();
        var rssAfter = ProcessMemory.Read(Environment.ProcessId, "VmRSS:");

        report.Add(Name, "profile", options.Profile);
        report.Add(Name, "grains_activated", options.Grains);
        report.Add(Name, "activations_per_second", options.Grains / seconds, "grains/s");
        report.Add(Name, "managed_heap_per_grain_bytes", (heapAfter - heapBefore) / (double)options.Grains, "B");
        report.Add(Name, "resident_memory_per_grain_bytes", (rssAfter - rssBefore) / (double)options.Grains, "B");
        report.Add(Name, "managed_heap_total_mb", heapAfter / 1048576.0, "MiB");
        report.Note(Name, "each grain is activated by a snapshot read: an unregistered device's activation with its state loaded from storage");
        await app.StopAsync();
    }

    private static long SettledHeap()
    {
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        return GC.GetTotalMemory(forceFullCollection: true);
    }
}
