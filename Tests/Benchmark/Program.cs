using Orleans.IoT.Benchmark;
using Orleans.IoT.Benchmark.Hosting;
using Orleans.IoT.Benchmark.Scenarios;

// Usage: Orleans.IoT.Benchmark [all|ingest|ingest-cluster|ingest-external|ingest-paced|commands|connections|grains|offline|fleet|console] [--smoke] [--name value ...]
// (see README, "Performance"). Exits non-zero only when it cannot run.
BenchmarkOptions options;
try
{
    options = BenchmarkOptions.Parse(args);
}
catch (ArgumentException ex)
{
    Console.Error.WriteLine(ex.Message);
    return 2;
}

if (options.Scenario == "bare-broker")
{
    await BareBroker.RunAsync(options.Port, options.Route);
    return 0;
}

// The simulated devices handle each socket completion on the thread that polled it instead of queueing it to the
// thread pool: at 10,000 paced readings/s the load generator took 0.33 cores instead of 0.48, CPU the system being
// measured gets instead. The runtime reads the switch at the first socket operation, so it is set before any; the
// node and the bare broker run without it.
Environment.SetEnvironmentVariable(ChildProcess.InlineSocketCompletions, "1");

var scenarios = options.Scenario == "all"
    ? ScenarioCatalog.All
    : ScenarioCatalog.All.Where(s => s.Name == options.Scenario).ToList();
if (scenarios.Count == 0)
{
    Console.Error.WriteLine($"unknown scenario '{options.Scenario}'; known: all, {string.Join(", ", ScenarioCatalog.All.Select(s => s.Name))}");
    return 2;
}

var report = new Report();
var failed = false;
foreach (var scenario in scenarios)
{
    try
    {
        await scenario.RunAsync(options, report);
    }
    catch (Exception ex)
    {
        failed = true;
        report.Add(scenario.Name, "error", ex.Message);
        Console.Error.WriteLine(ex);
    }
}

Console.WriteLine();
Console.WriteLine(report.ToJson());
return failed ? 1 : 0;
