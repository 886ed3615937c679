namespace Orleans.IoT;

/// <summary>
/// One minute's sample of the fleet (<c>GET /api/v1/fleet/online</c>): how many registered devices the catalog held and
/// how many of them were online, at <paramref name="At"/>.
/// </summary>
[GenerateSerializer, Immutable, Alias("iot.fleet-online-sample")]
public sealed record FleetOnlineSample(
    [property: Id(0)] DateTimeOffset At,
    [property: Id(1)] long Online,
    [property: Id(2)] long Registered)
{
    public const int DefaultMinutes = 60;

    /// <summary>The longest span a read may ask for: a day.</summary>
    public const int MaxMinutes = 1440;
}
