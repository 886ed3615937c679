using System.Text.RegularExpressions;
using k8s.Models;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Hosting;
using Orleans.Hosting.Kubernetes;
using Orleans.IoT.Gateway.Configuration;
using Orleans.IoT.Gateway;
using Orleans.IoT.Silo;
using Orleans.IoT.Silo.Configuration;

namespace Orleans.IoT.Tests.Deploy;

/// <summary>deploy/k8s agrees with the code: ports, probes, configuration keys, Kubernetes hosting, scaling and draining.</summary>
public sealed class KubernetesManifestTests
{
    private const string Silo = "orleans-iot-silo";
    private const string Gateway = "orleans-iot-gateway";

    private readonly KubernetesManifests _manifests = KubernetesManifests.Load();

    [Fact]
    public void Every_file_loads_and_every_namespaced_object_is_in_the_systems_namespace()
    {
        Assert.Equal(
            [
                "00-namespace.yaml", "autoscaling.yaml", "config.yaml", "disruption.yaml", Path.Combine("examples", "secrets.yaml"),
                "gateway.yaml", "rbac.yaml", "silo.yaml", Path.Combine("stores", "postgres.yaml"), Path.Combine("stores", "redis.yaml"),
            ],
            _manifests.Resources.Select(r => r.File).Distinct().Order(StringComparer.Ordinal));
        Assert.Equal(KubernetesManifests.Namespace, _manifests.Named<V1Namespace>(KubernetesManifests.Namespace).Metadata.Name);
        Assert.All(_manifests.Resources.Where(r => r.Resource is not V1Namespace), r =>
            Assert.True(r.Resource.Metadata.NamespaceProperty == KubernetesManifests.Namespace, $"{r.File}: {r.Resource.Kind} {r.Resource.Metadata.Name} is not in {KubernetesManifests.Namespace}"));
    }

    [Fact]
    public void Every_environment_variable_of_the_nodes_names_a_key_its_host_binds()
    {
        Assert.Equal(KubernetesManifests.NodeDeployments.Order(), NodeHosts().Select(h => h.Deployment).Order());
        foreach (var (deployment, keys) in NodeHosts())
        {
            var container = Container(deployment);
            foreach (var name in _manifests.EnvironmentOf(container).Keys)
            {
                Assert.True(
                    ConfigurationKeys.KubernetesHostingVariables.Contains(name) || keys.Binds(ConfigurationKeys.KeyOf(name)),
                    $"{container.Name}: {name} is no configuration key an options class of its host binds");
            }
        }
    }

    [Fact]
    public void The_key_check_tells_bound_keys_from_unknown_ones()
    {
        var silo = ConfigurationKeys.Silo;
        Assert.True(silo.Binds("Mqtt:Port"));
        Assert.True(silo.Binds("mqtt:tls:certificatePath"));
        Assert.True(silo.Binds("Auth:Operators:alice"));
        Assert.True(silo.Binds("Orleans:Membership:ProbeTimeout"));
        Assert.True(silo.Binds("Urls"));
        Assert.True(silo.Binds("Storage:Provider"));
        Assert.False(silo.Binds("Mqtt:Prot"));
        Assert.False(silo.Binds("Mqtt:Tls"));
        Assert.False(silo.Binds("Auth:OpenRegistration"));
        Assert.False(silo.Binds("Orleans"));
        Assert.False(silo.Binds("Orleans:ConnectRetrySeconds"));
    }

    [Fact]
    public void The_key_check_of_the_standalone_gateway_knows_its_own_keys_and_not_the_silos()
    {
        var gateway = ConfigurationKeys.GatewayHost;
        Assert.True(gateway.Binds("Orleans:Clustering"));
        Assert.True(gateway.Binds("Orleans:ConnectRetrySeconds"));
        Assert.True(gateway.Binds("Mqtt:Port"));
        Assert.True(gateway.Binds("Auth:Operators:alice"));
        Assert.True(gateway.Binds("Redis:ConnectionString"));
        Assert.True(gateway.Binds("Gateway:Id"));
        Assert.True(gateway.Binds(ConfigurationKeys.ShutdownTimeoutSeconds));
        Assert.False(gateway.Binds("Orleans:SiloPort"));
        Assert.False(gateway.Binds("Orleans:Membership:ProbeTimeout"));
        Assert.False(gateway.Binds("Storage:Provider"));
        Assert.False(gateway.Binds("History:Provider"));
        Assert.False(gateway.Binds("Postgres:ConnectionString"));
        Assert.False(gateway.Binds("Gateway:CoHosted"));
    }

    [Fact]
    public void Connection_strings_and_keys_come_from_secrets()
    {
        string[] secretKeys = ["Redis:ConnectionString", "Postgres:ConnectionString", "Auth:"];
        foreach (var container in NodeContainers())
        {
            var environment = _manifests.EnvironmentOf(container);
            Assert.Contains(environment.Keys, name => ConfigurationKeys.KeyOf(name).StartsWith("Auth:Operators:", StringComparison.Ordinal));
            Assert.True(environment.ContainsKey("Redis__ConnectionString"), $"{container.Name} has no Redis__ConnectionString");
            foreach (var (name, value) in environment.Where(e => secretKeys.Any(ConfigurationKeys.KeyOf(e.Key).StartsWith)))
            {
                Assert.True(value.Secret is not null, $"{container.Name}: {name} is written in a manifest, not read from a Secret");
            }
        }
    }

    [Fact]
    public void Silo_ports_are_the_ones_the_silo_listens_on()
    {
        var container = Container(Silo);
        var environment = _manifests.EnvironmentOf(container);
        var defaults = new OrleansHostOptions();

        Assert.Equal(
            new Dictionary<string, int>
            {
                ["http"] = UrlsPort(environment),
                ["orleans-silo"] = IntSetting(environment, "Orleans__SiloPort", defaults.SiloPort),
                ["orleans-gateway"] = IntSetting(environment, "Orleans__GatewayPort", defaults.GatewayPort),
            },
            Ports(container));
    }

    [Fact]
    public void Gateway_ports_are_the_ones_the_gateway_listens_on_and_its_services_forward_to_them()
    {
        var container = Container(Gateway);
        var environment = _manifests.EnvironmentOf(container);

        var expected = new Dictionary<string, int>
        {
            ["http"] = UrlsPort(environment),
            ["mqtt"] = IntSetting(environment, "Mqtt__Port", new MqttOptions().Port),
        };
        Assert.Equal(expected, Ports(container));

        var pod = _manifests.Deployment(Gateway).Spec.Template;
        var forwarded = _manifests.OfKind<V1Service>().Where(s => Selects(s.Spec.Selector, pod)).SelectMany(s => s.Spec.Ports).ToList();
        Assert.Equal(expected, forwarded.ToDictionary(p => p.Name, p => p.Port));
        Assert.All(forwarded, p => Assert.Equal(p.Name, p.TargetPort.Value));
    }

    [Fact]
    public async Task Probes_ask_the_health_endpoints_each_host_maps_on_its_http_port()
    {
        await using var silo = await IoTNode.BuildAsync([]);
        await using var gateway = await GatewayHostAssembly.BuildAppAsync();
        var routesOf = new Dictionary<string, HashSet<string>> { [Silo] = Routes(silo), [Gateway] = Routes(gateway) };

        foreach (var name in KubernetesManifests.NodeDeployments)
        {
            var container = Container(name);
            var routes = routesOf[name];
            foreach (var (kind, probe, path) in new[]
                     {
                         ("startup", container.StartupProbe, "/health/live"),
                         ("liveness", container.LivenessProbe, "/health/live"),
                         ("readiness", container.ReadinessProbe, "/health/ready"),
                     })
            {
                Assert.True(probe?.HttpGet is not null, $"{container.Name} has no HTTP {kind} probe");
                Assert.Equal(path, probe.HttpGet.Path);
                Assert.True(routes.Contains(path), $"{container.Name}'s {kind} probe asks {path}, which its host does not map");
                Assert.Equal("http", probe.HttpGet.Port.Value);
            }

            Assert.Contains(PrometheusExport.Path, routes);
        }

        foreach (var name in KubernetesManifests.NodeDeployments)
        {
            var template = _manifests.Deployment(name).Spec.Template;
            Assert.Equal(PrometheusExport.Path, template.Metadata.Annotations["prometheus.io/path"]);
            Assert.Equal(Ports(Assert.Single(template.Spec.Containers))["http"].ToString(), template.Metadata.Annotations["prometheus.io/port"]);
        }
    }

    [Fact]
    public void Silo_pods_carry_what_kubernetes_hosting_reads_and_the_role_it_needs()
    {
        var pod = _manifests.Deployment(Silo).Spec.Template;
        var environment = _manifests.EnvironmentOf(Assert.Single(pod.Spec.Containers));

        Assert.Equal("true", environment["Orleans__Kubernetes"].Value);
        Assert.Equal(OrleansHostOptions.Redis, environment["Orleans__Clustering"].Value);
        Assert.Equal("false", environment["Gateway__CoHosted"].Value);
        Assert.Equal(environment["Orleans__ServiceId"].Value, pod.Metadata.Labels[KubernetesHostingOptions.ServiceIdLabel]);
        Assert.Equal(environment["Orleans__ClusterId"].Value, pod.Metadata.Labels[KubernetesHostingOptions.ClusterIdLabel]);
        Assert.Equal("metadata.name", environment[KubernetesHostingOptions.PodNameEnvironmentVariable].FieldPath);
        Assert.Equal("metadata.namespace", environment[KubernetesHostingOptions.PodNamespaceEnvironmentVariable].FieldPath);
        Assert.Equal("status.podIP", environment[KubernetesHostingOptions.PodIPEnvironmentVariable].FieldPath);
        Assert.Equal("status.podIP", environment["Orleans__AdvertisedAddress"].FieldPath);
        // They would override Orleans:ClusterId and Orleans:ServiceId behind the options' back.
        Assert.DoesNotContain(KubernetesHostingOptions.ClusterIdEnvironmentVariable, environment.Keys);
        Assert.DoesNotContain(KubernetesHostingOptions.ServiceIdEnvironmentVariable, environment.Keys);
        Assert.NotEqual(false, pod.Spec.AutomountServiceAccountToken);

        var binding = Assert.Single(_manifests.OfKind<V1RoleBinding>(), b => b.Subjects.Any(s =>
            s.Kind == "ServiceAccount" && s.Name == pod.Spec.ServiceAccountName && s.NamespaceProperty == KubernetesManifests.Namespace));
        _manifests.Named<V1ServiceAccount>(pod.Spec.ServiceAccountName);
        Assert.Equal("Role", binding.RoleRef.Kind);
        var rule = Assert.Single(_manifests.Named<V1Role>(binding.RoleRef.Name).Rules);
        Assert.Equal([""], rule.ApiGroups);
        Assert.Equal(["pods"], rule.Resources);
        Assert.Equal(["get", "list", "patch", "watch"], rule.Verbs.Order(StringComparer.Ordinal));

        var gateway = _manifests.Deployment(Gateway).Spec.Template;
        Assert.DoesNotContain(gateway.Metadata.Labels.Keys, k => k.StartsWith("orleans/", StringComparison.Ordinal));
        Assert.Equal(false, gateway.Spec.AutomountServiceAccountToken);
    }

    [Fact]
    public void Gateway_pods_join_the_silos_cluster_as_its_clients()
    {
        var silo = _manifests.EnvironmentOf(Container(Silo));
        var gateway = _manifests.EnvironmentOf(Container(Gateway));

        Assert.Equal(silo["Orleans__Clustering"].Value, gateway["Orleans__Clustering"].Value);
        Assert.Equal(silo["Orleans__ClusterId"].Value, gateway["Orleans__ClusterId"].Value);
        Assert.Equal(silo["Orleans__ServiceId"].Value, gateway["Orleans__ServiceId"].Value);
        Assert.Equal(silo["Redis__ConnectionString"], gateway["Redis__ConnectionString"]);
    }

    [Fact]
    public void Selectors_match_their_pods_and_autoscalers_scale_deployments_by_their_cpu_requests()
    {
        var workloads = _manifests.OfKind<V1Deployment>().Select(d => (d.Metadata.Name, d.Spec.Selector, d.Spec.Template))
            .Concat(_manifests.OfKind<V1StatefulSet>().Select(s => (s.Metadata.Name, s.Spec.Selector, s.Spec.Template)))
            .ToList();
        Assert.All(workloads, w => Assert.True(Selects(w.Selector.MatchLabels, w.Template), $"{w.Name}'s selector misses its pods"));

        foreach (var service in _manifests.OfKind<V1Service>())
        {
            var pods = workloads.Where(w => Selects(service.Spec.Selector, w.Template)).ToList();
            Assert.True(pods.Count == 1, $"Service {service.Metadata.Name} selects {pods.Count} workloads");
            var ports = pods[0].Template.Spec.Containers.SelectMany(c => c.Ports).Select(p => p.Name).ToList();
            Assert.All(service.Spec.Ports, p => Assert.Contains(p.TargetPort.Value, ports));
        }

        foreach (var budget in _manifests.OfKind<V1PodDisruptionBudget>())
        {
            Assert.Single(workloads, w => Selects(budget.Spec.Selector.MatchLabels, w.Template));
        }

        var autoscalers = _manifests.OfKind<V2HorizontalPodAutoscaler>().ToList();
        Assert.Equal(KubernetesManifests.NodeDeployments.Order(), autoscalers.Select(a => a.Spec.ScaleTargetRef.Name).Order());
        foreach (var autoscaler in autoscalers)
        {
            Assert.Equal(("apps/v1", "Deployment"), (autoscaler.Spec.ScaleTargetRef.ApiVersion, autoscaler.Spec.ScaleTargetRef.Kind));
            // No replicas of its own: the autoscaler owns the count, and a re-apply must not reset it.
            var deployment = _manifests.Deployment(autoscaler.Spec.ScaleTargetRef.Name);
            Assert.InRange(autoscaler.Spec.MinReplicas!.Value, 2, autoscaler.Spec.MaxReplicas);
            Assert.Null(deployment.Spec.Replicas);
            var metric = Assert.Single(autoscaler.Spec.Metrics);
            Assert.Equal(("Resource", "cpu", "Utilization"), (metric.Type, metric.Resource.Name, metric.Resource.Target.Type));
            Assert.All(deployment.Spec.Template.Spec.Containers, c => Assert.True(c.Resources?.Requests?.ContainsKey("cpu") == true, $"{c.Name} has no CPU request to scale by"));
        }
    }

    [Fact]
    public void Termination_grace_outlasts_the_pause_before_sigterm_and_the_drain()
    {
        foreach (var name in KubernetesManifests.NodeDeployments)
        {
            var pod = _manifests.Deployment(name).Spec.Template.Spec;
            var container = Assert.Single(pod.Containers);
            var command = container.Lifecycle?.PreStop?.Exec?.Command;
            Assert.True(command is ["sleep", _], $"{name}: the preStop hook is not a pause (sleep N)");
            var pause = int.Parse(command[1]);
            var drain = IntSetting(_manifests.EnvironmentOf(container), ConfigurationKeys.ShutdownTimeoutSeconds, (int)new HostOptions().ShutdownTimeout.TotalSeconds);

            Assert.InRange(pause, 5, 30);
            Assert.True(pod.TerminationGracePeriodSeconds > pause + drain + 10,
                $"{name}: terminationGracePeriodSeconds {pod.TerminationGracePeriodSeconds} leaves no room after the {pause} s pause and the {drain} s drain");
        }
    }

    [Fact]
    public void PostgreSQL_holds_the_pools_of_the_most_silos_the_autoscaler_runs()
    {
        var silos = _manifests.Named<V2HorizontalPodAutoscaler>(Silo).Spec.MaxReplicas;
        var pool = IntSetting(_manifests.EnvironmentOf(Container(Silo)), "Postgres__MaxPoolSize", new PostgresOptions().MaxPoolSize);
        var arguments = string.Join(' ', Assert.Single(_manifests.Named<V1StatefulSet>("postgres").Spec.Template.Spec.Containers).Args);
        var maxConnections = int.Parse(Regex.Match(arguments, @"max_connections=(\d+)").Groups[1].Value);

        Assert.True(silos * pool < maxConnections, $"{silos} silos of {pool} connections do not fit max_connections {maxConnections}");
    }

    private IEnumerable<V1Container> NodeContainers() => KubernetesManifests.NodeDeployments.Select(Container);

    /// <summary>Each node Deployment with the keys of the host its image runs (deploy/docker).</summary>
    private static IEnumerable<(string Deployment, ConfigurationKeys Keys)> NodeHosts() =>
        [(Silo, ConfigurationKeys.Silo), (Gateway, ConfigurationKeys.GatewayHost)];

    private static HashSet<string> Routes(IEndpointRouteBuilder app) =>
        app.DataSources
            .SelectMany(s => s.Endpoints).OfType<RouteEndpoint>()
            .Select(e => "/" + e.RoutePattern.RawText!.TrimStart('/'))
            .ToHashSet();

    private V1Container Container(string deployment) => Assert.Single(_manifests.Deployment(deployment).Spec.Template.Spec.Containers);

    private static Dictionary<string, int> Ports(V1Container container) => container.Ports.ToDictionary(p => p.Name, p => p.ContainerPort);

    private static int UrlsPort(IReadOnlyDictionary<string, EnvironmentValue> environment) =>
        new Uri(Assert.Single(environment["Urls"].Value!.Split(';')).Replace("://+:", "://localhost:", StringComparison.Ordinal)).Port;

    private static int IntSetting(IReadOnlyDictionary<string, EnvironmentValue> environment, string name, int codeDefault) =>
        environment.TryGetValue(name, out var value) ? int.Parse(value.Value!) : codeDefault;

    private static bool Selects(IDictionary<string, string>? selector, V1PodTemplateSpec pod) =>
        selector is { Count: > 0 } && selector.All(l => pod.Metadata.Labels.TryGetValue(l.Key, out var value) && value == l.Value);
}
