namespace Orleans.IoT.Benchmark.Scenarios;

/// <summary>Every scenario, in the order <c>all</c> runs them.</summary>
public static class ScenarioCatalog
{
    public static IReadOnlyList<IScenario> All { get; } =
    [
        IngestScenario.OneNode(),
        IngestScenario.Cluster(),
        new ExternalIngestScenario(),
        new PacedIngestScenario(),
        new CommandScenario(),
        new ConnectionsScenario(),
        new GrainsScenario(),
        new OfflineScenario(),
        new FleetScenario(),
        new ConsoleScenario(),
    ];
}
