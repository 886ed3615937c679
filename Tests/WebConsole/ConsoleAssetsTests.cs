using System.Net;
using System.Text.RegularExpressions;
using Orleans.IoT.Gateway.WebConsole;
using Orleans.IoT.Tests.EndToEnd;

namespace Orleans.IoT.Tests.WebConsole;

/// <summary>
/// The console's scripts and styles are named under a path of this build and kept by the browser for good; its pages,
/// which name them, are never cached, so an upgraded gateway's pages never run a stale script.
/// </summary>
[Collection(NodeCollection.Name)]
public sealed class ConsoleAssetsTests(NodeFixture node)
{
    [Fact]
    public async Task Pages_name_this_builds_assets_which_are_cached_for_good_and_are_not_served_unversioned()
    {
        using var http = ConsoleHttp.NewClient(node.HttpPort);

        using var signIn = await http.GetAsync(ConsoleSession.SignInPath);
        var page = await signIn.Content.ReadAsStringAsync();
        Assert.True(signIn.Headers.CacheControl?.NoStore, "the sign-in page may be cached");
        var named = Regex.Matches(page, "(?:href|src)=\"(/console/assets/[^\"]+)\"").Select(m => m.Groups[1].Value).ToList();
        Assert.Equal(2, named.Count);
        Assert.All(named, path => Assert.StartsWith(FleetConsole.VersionedAssetsPath + "/", path));
        Assert.Matches("^/console/assets/[0-9a-f]{12}$", FleetConsole.VersionedAssetsPath);

        foreach (var path in named)
        {
            using var asset = await http.GetAsync(path);
            Assert.Equal(HttpStatusCode.OK, asset.StatusCode);
            Assert.Equal("public, max-age=31536000, immutable", asset.Headers.CacheControl?.ToString());
        }

        using var unversioned = await http.GetAsync(FleetConsole.AssetsPath + "/signin.js");
        Assert.Equal(HttpStatusCode.NotFound, unversioned.StatusCode);
    }
}
