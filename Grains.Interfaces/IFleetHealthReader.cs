namespace Orleans.IoT;

/// <summary>Reads the fleet health report: what operators and the HTTP API ask about the fleet as a whole.</summary>
public interface IFleetHealthReader
{
    /// <summary>
    /// The report, with the <paramref name="silentLongest"/> registered offline devices silent longest (1 to
    /// <see cref="FleetHealth.MaxSilentLongest"/>). PostgreSQL unreachable is a <see cref="PassingFaultException"/>.
    /// </summary>
    Task<FleetHealth> ReadAsync(int silentLongest, CancellationToken cancellationToken);
}
