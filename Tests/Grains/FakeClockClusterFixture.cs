using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Orleans.IoT.Tests.Grains;

/// <summary>A silo of its own whose clock the tests move: windows roll over at once instead of after a minute.</summary>
public sealed class FakeClockClusterFixture : ClusterFixture
{
    public FakeTimeProvider Clock { get; } = new(DateTimeOffset.UtcNow);

    protected override void ConfigureServices(IServiceCollection services) => services.AddSingleton<TimeProvider>(Clock);
}
