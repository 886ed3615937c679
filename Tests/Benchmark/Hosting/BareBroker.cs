using System.Net;
using MQTTnet.Server;

namespace Orleans.IoT.Benchmark.Hosting;

/// <summary>
/// The reference: an MQTTnet broker that accepts every client and acknowledges every message, and does nothing else;
/// with <paramref name="route"/> (<c>--route</c>) it also delivers each message to its subscribers, as a plain broker does.
/// </summary>
public static class BareBroker
{
    public static async Task RunAsync(int port, bool route = false)
    {
        var factory = new MqttServerFactory();
        var options = factory.CreateServerOptionsBuilder()
            .WithDefaultEndpoint()
            .WithDefaultEndpointPort(port)
            .WithDefaultEndpointBoundIPAddress(IPAddress.Loopback)
            .WithConnectionBacklog(4096)
            .Build();
        options.DefaultEndpointOptions.BoundInterNetworkV6Address = IPAddress.IPv6None;
        using var server = factory.CreateMqttServer(options);
        if (!route)
        {
            server.InterceptingPublishAsync += e =>
            {
                e.ProcessPublish = false;
                return Task.CompletedTask;
            };
        }

        await server.StartAsync();
        var stopped = new TaskCompletionSource();
        AppDomain.CurrentDomain.ProcessExit += (_, _) => stopped.TrySetResult();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            stopped.TrySetResult();
        };
        await stopped.Task;
        await server.StopAsync();
    }
}
