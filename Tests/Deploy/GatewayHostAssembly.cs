using System.Reflection;
using Microsoft.AspNetCore.Builder;
using Orleans.IoT.Tests.EndToEnd;

namespace Orleans.IoT.Tests.Deploy;

/// <summary>
/// The built standalone gateway (Orleans.IoT.GatewayHost), loaded from its build output: the tests do not reference
/// its assembly (it would bring its own Program and appsettings.json beside the silo's), yet the manifests are checked
/// against its options classes and the routes its app maps.
/// </summary>
public static class GatewayHostAssembly
{
    private static readonly Lazy<Assembly> Loaded = new(() => Assembly.LoadFrom(NodeProcess.GatewayHostAssemblyPath()));

    public static Assembly Value => Loaded.Value;

    /// <summary>Builds (does not start) the gateway's app as its Program does, with its own appsettings.json.</summary>
    public static async Task<WebApplication> BuildAppAsync(params string[] args)
    {
        var build = Value.GetType("Orleans.IoT.GatewayHost.GatewayNode", throwOnError: true)!.GetMethod("BuildAsync", [typeof(string[])])
            ?? throw new InvalidOperationException("Orleans.IoT.GatewayHost.GatewayNode has no BuildAsync(string[])");
        var contentRoot = Path.Combine(NodeProcess.RepositoryRoot(), "GatewayHost");
        return await (Task<WebApplication>)build.Invoke(null, [args.Append($"--contentRoot={contentRoot}").ToArray()])!;
    }
}
