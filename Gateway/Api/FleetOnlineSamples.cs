namespace Orleans.IoT.Gateway.Api;

/// <summary>The answer of <c>GET /api/v1/fleet/online</c>: the span asked for and its samples, oldest first.</summary>
public sealed record FleetOnlineSamples(int Minutes, IReadOnlyList<FleetOnlineSample> Samples);
