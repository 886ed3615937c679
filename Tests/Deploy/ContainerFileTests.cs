using System.Text.RegularExpressions;
using System.Xml.Linq;
using Orleans.IoT.Tests.EndToEnd;

namespace Orleans.IoT.Tests.Deploy;

/// <summary>
/// deploy/docker cannot be built here (no Docker): what can be checked is that each image publishes a project of the
/// repository with everything it references, runs that project's assembly, and exposes the ports its Deployment uses.
/// </summary>
public sealed partial class ContainerFileTests
{
    private static readonly string Root = NodeProcess.RepositoryRoot();

    [Theory]
    [InlineData("silo.Dockerfile", "orleans-iot-silo", "Silo/Silo.csproj")]
    [InlineData("gateway.Dockerfile", "orleans-iot-gateway", "GatewayHost/GatewayHost.csproj")]
    public void Each_image_exposes_the_ports_of_its_deployment_and_listens_where_they_are(string file, string deployment, string project)
    {
        var dockerfile = File.ReadAllText(Path.Combine(Root, "deploy", "docker", file));
        var container = Assert.Single(KubernetesManifests.Load().Deployment(deployment).Spec.Template.Spec.Containers);

        Assert.Equal(
            container.Ports.Select(p => p.ContainerPort).Order(),
            Expose().Match(dockerfile).Groups[1].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).Order());
        Assert.Equal(container.Ports.Single(p => p.Name == "http").ContainerPort, new Uri(UrlsEnv().Match(dockerfile).Groups[1].Value).Port);
        Assert.Equal(project, Publish().Match(dockerfile).Groups[1].Value);
        Assert.Contains("USER $APP_UID", dockerfile, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("silo.Dockerfile")]
    [InlineData("gateway.Dockerfile")]
    public void Each_image_copies_every_project_it_builds_and_runs_its_assembly(string file)
    {
        var dockerfile = File.ReadAllText(Path.Combine(Root, "deploy", "docker", file));
        var project = Publish().Match(dockerfile).Groups[1].Value;
        var copied = Copy().Matches(dockerfile).Select(m => m.Groups[1].Value).ToHashSet();

        Assert.All(ProjectAndReferences(project), p => Assert.Contains(Path.GetDirectoryName(p)!.Replace('\\', '/'), copied));
        var assembly = XDocument.Load(Path.Combine(Root, project)).Descendants("AssemblyName").Single().Value;
        Assert.Equal($"ENTRYPOINT [\"dotnet\", \"{assembly}.dll\"]", Entrypoint().Match(dockerfile).Value);
    }

    private static IEnumerable<string> ProjectAndReferences(string project)
    {
        var pending = new Stack<string>([project]);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        while (pending.TryPop(out var next))
        {
            if (!seen.Add(next))
            {
                continue;
            }

            foreach (var reference in XDocument.Load(Path.Combine(Root, next)).Descendants("ProjectReference"))
            {
                var path = Path.GetFullPath(Path.Combine(Root, Path.GetDirectoryName(next)!, reference.Attribute("Include")!.Value.Replace('\\', '/')));
                pending.Push(Path.GetRelativePath(Root, path).Replace('\\', '/'));
            }
        }

        return seen;
    }

    [GeneratedRegex(@"^EXPOSE ([0-9 ]+)$", RegexOptions.Multiline)]
    private static partial Regex Expose();

    [GeneratedRegex(@"^ENV Urls=(\S+)$", RegexOptions.Multiline)]
    private static partial Regex UrlsEnv();

    [GeneratedRegex(@"dotnet publish (\S+\.csproj)")]
    private static partial Regex Publish();

    [GeneratedRegex(@"^COPY (\S+)/ \1/$", RegexOptions.Multiline)]
    private static partial Regex Copy();

    [GeneratedRegex(@"^ENTRYPOINT .*$", RegexOptions.Multiline)]
    private static partial Regex Entrypoint();
}
