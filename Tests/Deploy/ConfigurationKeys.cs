using System.Reflection;
using Microsoft.AspNetCore.Hosting;
using Orleans.Configuration;
using Orleans.Hosting.Kubernetes;
using Orleans.IoT.Gateway.Configuration;
using Orleans.IoT.Grains;
using Orleans.IoT.Silo;

namespace Orleans.IoT.Tests.Deploy;

/// <summary>
/// The configuration keys a host reads, found by reflection: each options class's <c>Section</c> in the assemblies
/// the host binds from, and the properties the configuration binder can set under it (nested classes, dictionaries by
/// any key, lists by index).
/// </summary>
public sealed class ConfigurationKeys
{
    /// <summary>The host's shutdown timeout, which bounds the drain (HostOptions reads it from the app's configuration).</summary>
    public const string ShutdownTimeoutSeconds = "shutdownTimeoutSeconds";

    /// <summary>Keys of ASP.NET Core and the generic host rather than of an options class of ours.</summary>
    public static readonly string[] HostKeys = [WebHostDefaults.ServerUrlsKey, ShutdownTimeoutSeconds];

    /// <summary>What <c>UseKubernetesHosting</c> reads from the environment directly (not configuration keys).</summary>
    public static readonly string[] KubernetesHostingVariables =
    [
        KubernetesHostingOptions.PodNameEnvironmentVariable,
        KubernetesHostingOptions.PodNamespaceEnvironmentVariable,
        KubernetesHostingOptions.PodIPEnvironmentVariable,
        KubernetesHostingOptions.ClusterIdEnvironmentVariable,
        KubernetesHostingOptions.ServiceIdEnvironmentVariable,
    ];

    private ConfigurationKeys(IEnumerable<Assembly> assemblies, IEnumerable<(string Section, Type Options)> sectionsWithoutConstant)
    {
        Sections = assemblies
            .SelectMany(a => a.GetExportedTypes())
            .Where(t => t is { IsClass: true, IsAbstract: false })
            .Select(t => (Type: t, Field: t.GetField("Section", BindingFlags.Public | BindingFlags.Static)))
            .Where(f => f.Field is { IsLiteral: true } && f.Field.FieldType == typeof(string))
            .Select(f => ((string)f.Field!.GetRawConstantValue()!, f.Type))
            .Concat(sectionsWithoutConstant)
            .ToList();
    }

    /// <summary>The silo (Silo/, IoTNode): its own options, the co-hosted gateway's and the grains'.</summary>
    public static ConfigurationKeys Silo { get; } = new(
        [typeof(IoTNode).Assembly, typeof(MqttOptions).Assembly, typeof(PresenceOptions).Assembly],
        // Bound from a section named in IoTNode rather than by a Section constant of its own.
        [("Orleans:Membership", typeof(ClusterMembershipOptions))]);

    /// <summary>The standalone gateway (GatewayHost/, GatewayNode): its cluster client options and the gateway's; no grain's or silo's.</summary>
    public static ConfigurationKeys GatewayHost => Gateway.Value;

    // Loaded when first asked for: a test of the silo's keys does not need the gateway built.
    private static readonly Lazy<ConfigurationKeys> Gateway = new(() => new([GatewayHostAssembly.Value, typeof(MqttOptions).Assembly], []));

    public IReadOnlyList<(string Section, Type Options)> Sections { get; }

    /// <summary>Whether <paramref name="key"/> (<c>Mqtt:Port</c>, <c>Auth:Operators:alice</c>) is a setting this host binds.</summary>
    public bool Binds(string key)
    {
        if (HostKeys.Contains(key, StringComparer.OrdinalIgnoreCase))
        {
            return true;
        }

        var segments = key.Split(':');
        return Sections.Any(s =>
        {
            var section = s.Section.Split(':');
            return segments.Length > section.Length
                && segments.Take(section.Length).SequenceEqual(section, StringComparer.OrdinalIgnoreCase)
                && Walks(s.Options, segments, section.Length);
        });
    }

    /// <summary>The environment variable's key: <c>Mqtt__Port</c> is <c>Mqtt:Port</c>, as .NET's environment provider reads it.</summary>
    public static string KeyOf(string environmentVariable) => environmentVariable.Replace("__", ":", StringComparison.Ordinal);

    private static bool Walks(Type type, string[] path, int index)
    {
        if (IsScalar(type))
        {
            return index == path.Length;
        }

        if (index == path.Length)
        {
            return false;
        }

        if (DictionaryValue(type) is { } value)
        {
            return Walks(value, path, index + 1);
        }

        if (ListItem(type) is { } item)
        {
            return int.TryParse(path[index], out _) && Walks(item, path, index + 1);
        }

        var property = type.GetProperty(path[index], BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase);
        return property is not null
            && (property.SetMethod is { IsPublic: true } || !IsScalar(property.PropertyType))
            && Walks(property.PropertyType, path, index + 1);
    }

    private static bool IsScalar(Type type)
    {
        var underlying = Nullable.GetUnderlyingType(type) ?? type;
        return underlying.IsPrimitive || underlying.IsEnum || underlying == typeof(string) || underlying == typeof(decimal)
            || underlying == typeof(TimeSpan) || underlying == typeof(Uri);
    }

    private static Type? DictionaryValue(Type type) =>
        type.GetInterfaces().Append(type)
            .FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IDictionary<,>) && i.GetGenericArguments()[0] == typeof(string))
            ?.GetGenericArguments()[1];

    private static Type? ListItem(Type type) =>
        type.IsArray
            ? type.GetElementType()
            : type.GetInterfaces().Append(type)
                .FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IEnumerable<>))
                ?.GetGenericArguments()[0];
}
