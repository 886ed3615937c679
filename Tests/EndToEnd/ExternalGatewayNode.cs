using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Orleans.IoT.Silo;

namespace Orleans.IoT.Tests.EndToEnd;

/// <summary>
/// A co-hosted node whose gateway is a client of <see cref="MosquittoBroker"/>, for tests that need several, or need to
/// stop and start one: gateway replicas of one shared group, a gateway that restarts under the same client id.
/// </summary>
public sealed class ExternalGatewayNode : IAsyncDisposable
{
    private readonly string[] _arguments;
    private WebApplication? _app;

    private ExternalGatewayNode(string[] arguments) => _arguments = arguments;

    public IServiceProvider Services => _app?.Services ?? throw new InvalidOperationException("the node is stopped");

    public IGrainFactory Grains => Services.GetRequiredService<IGrainFactory>();

    public static async Task<ExternalGatewayNode> StartAsync(MosquittoBroker broker, string clientId, IEnumerable<string> settings)
    {
        var node = new ExternalGatewayNode(
        [
            $"--Orleans:SiloPort={NodeFixture.FreePort()}",
            $"--Orleans:GatewayPort={NodeFixture.FreePort()}",
            $"--Urls=http://127.0.0.1:{NodeFixture.FreePort()}",
            $"--Auth:Operators:{NodeFixture.OperatorName}={NodeFixture.OperatorKey}",
            "--Logging:LogLevel:Default=Warning",
            .. ExternalNodeFixture.GatewayArguments(broker, clientId),
            .. settings,
        ]);
        await node.StartAsync();
        return node;
    }

    /// <summary>Starts the node again with the same settings (the same client id, so the same session at the broker).</summary>
    public async Task StartAsync()
    {
        _app = await IoTNode.BuildAsync(_arguments);
        await _app.StartAsync();
    }

    public async Task StopAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
            _app = null;
        }
    }

    public ValueTask DisposeAsync() => new(StopAsync());
}
