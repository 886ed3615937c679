namespace Orleans.IoT.Benchmark.Scenarios;

/// <summary>One benchmark scenario; add a class and list it in <see cref="ScenarioCatalog"/>.</summary>
public interface IScenario
{
    string Name { get; }

    Task RunAsync(BenchmarkOptions options, Report report);
}

public static class RunIds
{
    /// <summary>A prefix for this run's device ids, so that its rows and grains are its own.</summary>
    public static string New() => $"bench{DateTime.UtcNow:MMddHHmmss}{Random.Shared.Next(100, 999)}";
}
