using System.Net;
using MQTTnet.Server;

namespace Orleans.IoT.Benchmark.Hosting;

/// <summary>The reference: an MQTTnet broker that accepts every client and acknowledges every message, and does nothing else.</summary>
public static class BareBroker
{
    public static async Task RunAsync(int port)
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
        server.InterceptingPublishAsync += e =>
        {
            e.ProcessPublish = false;
            return Task.CompletedTask;
        };
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
