using k8s;
using k8s.Models;
using Orleans.IoT.Tests.EndToEnd;

namespace Orleans.IoT.Tests.Deploy;

/// <summary>
/// Every resource under deploy/k8s (its sub-folders too), loaded into KubernetesClient's typed model with its strict
/// reader, so that a misspelt field fails to load.
/// </summary>
public sealed class KubernetesManifests
{
    public const string Namespace = "orleans-iot";

    /// <summary>The Deployments of this system's own images; the others (Redis, PostgreSQL) are stores.</summary>
    public static readonly string[] NodeDeployments = ["orleans-iot-silo", "orleans-iot-gateway"];

    private KubernetesManifests(IReadOnlyList<(string File, IKubernetesObject<V1ObjectMeta> Resource)> resources)
    {
        Resources = resources;
    }

    public static string Folder { get; } = Path.Combine(NodeProcess.RepositoryRoot(), "deploy", "k8s");

    public IReadOnlyList<(string File, IKubernetesObject<V1ObjectMeta> Resource)> Resources { get; }

    public static KubernetesManifests Load()
    {
        var resources = new List<(string, IKubernetesObject<V1ObjectMeta>)>();
        foreach (var file in Directory.EnumerateFiles(Folder, "*.*", SearchOption.AllDirectories)
                     .Where(f => f.EndsWith(".yaml", StringComparison.Ordinal) || f.EndsWith(".yml", StringComparison.Ordinal))
                     .Order(StringComparer.Ordinal))
        {
            var relative = Path.GetRelativePath(Folder, file);
            foreach (var loaded in KubernetesYaml.LoadAllFromString(File.ReadAllText(file), strict: true))
            {
                resources.Add((relative, loaded as IKubernetesObject<V1ObjectMeta>
                    ?? throw new InvalidOperationException($"{relative}: {loaded.GetType().Name} is not a Kubernetes object with metadata")));
            }
        }

        return new KubernetesManifests(resources);
    }

    public IEnumerable<T> OfKind<T>() => Resources.Select(r => r.Resource).OfType<T>();

    public V1Deployment Deployment(string name) => Named<V1Deployment>(name);

    public T Named<T>(string name)
        where T : IKubernetesObject<V1ObjectMeta> =>
        Assert.Single(OfKind<T>(), r => r.Metadata.Name == name);

    /// <summary>
    /// The environment a container starts with: every key of the ConfigMaps and Secrets it takes whole
    /// (<c>envFrom</c>), then its own <c>env</c>, which wins over them as it does in Kubernetes. Secrets come from
    /// deploy/k8s/examples, the shape operators create theirs in.
    /// </summary>
    public IReadOnlyDictionary<string, EnvironmentValue> EnvironmentOf(V1Container container)
    {
        var environment = new Dictionary<string, EnvironmentValue>(StringComparer.Ordinal);
        foreach (var source in container.EnvFrom ?? [])
        {
            Assert.Null(source.Prefix);
            if (source.ConfigMapRef is { } configMap)
            {
                foreach (var (key, value) in Named<V1ConfigMap>(configMap.Name).Data)
                {
                    environment[key] = new EnvironmentValue(value, null, null);
                }
            }

            if (source.SecretRef is { } secret)
            {
                foreach (var (key, value) in Named<V1Secret>(secret.Name).StringData)
                {
                    environment[key] = new EnvironmentValue(value, null, secret.Name);
                }
            }
        }

        foreach (var variable in container.Env ?? [])
        {
            environment[variable.Name] = variable.ValueFrom switch
            {
                null => new EnvironmentValue(variable.Value, null, null),
                { FieldRef: { } field } => new EnvironmentValue(null, field.FieldPath, null),
                { SecretKeyRef: { } key } => new EnvironmentValue(SecretValue(key.Name, key.Key), null, key.Name),
                { ConfigMapKeyRef: { } key } => new EnvironmentValue(Named<V1ConfigMap>(key.Name).Data[key.Key], null, null),
                _ => throw new InvalidOperationException($"{container.Name}: {variable.Name} comes from a source these tests do not read"),
            };
        }

        return environment;
    }

    private string SecretValue(string secret, string key)
    {
        var values = Named<V1Secret>(secret).StringData;
        Assert.True(values.ContainsKey(key), $"Secret {secret} has no key {key}");
        return values[key];
    }
}

/// <summary>An environment variable's literal value, or the pod field it is read from; from a Secret when named.</summary>
public sealed record EnvironmentValue(string? Value, string? FieldPath, string? Secret);
