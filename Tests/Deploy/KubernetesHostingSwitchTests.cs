using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Hosting.Kubernetes;
using Orleans.IoT.Gateway;
using Orleans.IoT.Gateway.Configuration;
using Orleans.IoT.Silo;
using Orleans.IoT.Tests.Durable;

namespace Orleans.IoT.Tests.Deploy;

/// <summary><c>Orleans:Kubernetes</c> and the host's shutdown timeout, as the silo reads them at start-up.</summary>
public sealed class KubernetesHostingSwitchTests
{
    [Fact]
    public async Task Off_by_default_nothing_of_kubernetes_hosting_is_registered()
    {
        await using var app = await IoTNode.BuildAsync([]);

        Assert.Empty(app.Services.GetServices<IValidateOptions<KubernetesHostingOptions>>());
        Assert.DoesNotContain(app.Services.GetServices<ILifecycleParticipant<ISiloLifecycle>>(), p => p is KubernetesClusterAgent);
    }

    [Fact]
    public async Task On_outside_a_pod_the_silo_refuses_to_start_naming_the_variable_kubernetes_sets()
    {
        var redis = DurableNodeFixture.Required(DurableNodeFixture.RedisVariable, "Redis");
        await using var app = await IoTNode.BuildAsync(
            ["--Orleans:Kubernetes=true", "--Orleans:Clustering=Redis", $"--Redis:ConnectionString={redis}"]);

        Assert.NotEmpty(app.Services.GetServices<IValidateOptions<KubernetesHostingOptions>>());
        // The silo's name is its pod's: reading it needs the pod's namespace, which deploy/k8s/silo.yaml passes in.
        var refused = Assert.Throws<OptionsValidationException>(() => app.Services.GetRequiredService<IOptions<SiloOptions>>().Value);
        Assert.Contains(KubernetesHostingOptions.PodNamespaceEnvironmentVariable, refused.Message);
    }

    [Theory]
    [InlineData("--Orleans:Kubernetes=yes", "Orleans: Failed to convert configuration value 'yes' at 'Orleans:Kubernetes'")]
    [InlineData("--Orleans:Kubernetes=true", "Orleans:Kubernetes needs Orleans:Clustering=Redis")]
    public async Task A_bad_switch_stops_start_up_naming_the_key(string argument, string message)
    {
        var refused = await Assert.ThrowsAsync<ConfigurationException>(() => IoTNode.BuildAsync([argument]));

        Assert.Contains(message, refused.Message);
    }

    [Fact]
    public async Task The_manifests_drain_bound_is_the_hosts_shutdown_timeout()
    {
        await using var app = await IoTNode.BuildAsync([$"--{ConfigurationKeys.ShutdownTimeoutSeconds}=40"]);

        Assert.Equal(TimeSpan.FromSeconds(40), app.Services.GetRequiredService<IOptions<HostOptions>>().Value.ShutdownTimeout);
    }
}
