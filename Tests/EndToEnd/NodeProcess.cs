using System.Diagnostics;
using System.Net.Sockets;

namespace Orleans.IoT.Tests.EndToEnd;

/// <summary>The node as its own process, as an operator runs it: for what only a real process shows (Ctrl-C, its log).</summary>
public sealed class NodeProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly List<string> _log = [];

    private NodeProcess(Process process, int mqttPort, int httpPort)
    {
        _process = process;
        MqttPort = mqttPort;
        HttpPort = httpPort;
    }

    public int MqttPort { get; }

    /// <summary>Its HTTP port (<c>Urls</c>): health, metrics and, on a gateway, the operator API.</summary>
    public int HttpPort { get; }

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    /// <summary>Starts the built node (the Silo project's output beside the tests) with <paramref name="arguments"/>, on free ports.</summary>
    public static Task<NodeProcess> StartAsync(IEnumerable<string> arguments) =>
        StartAsync(
            "Silo",
            Path.Combine(AppContext.BaseDirectory, "Orleans.IoT.Silo.dll"),
            arguments.Concat([$"--Orleans:SiloPort={NodeFixture.FreePort()}", $"--Orleans:GatewayPort={NodeFixture.FreePort()}"]));

    /// <summary>
    /// Starts the built standalone gateway (the GatewayHost project's output in the same configuration as the tests) with
    /// <paramref name="arguments"/>, on free ports.
    /// </summary>
    public static Task<NodeProcess> StartGatewayAsync(IEnumerable<string> arguments) =>
        StartAsync("GatewayHost", GatewayHostAssemblyPath(), arguments);

    /// <summary>The built standalone gateway's assembly, in the same configuration as the tests; fails naming it when it is not built.</summary>
    public static string GatewayHostAssemblyPath()
    {
        // .../Tests/bin/<configuration>/<framework>/ beside .../GatewayHost/bin/<configuration>/<framework>/
        var output = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var assembly = Path.Combine(RepositoryRoot(), "GatewayHost", "bin", output.Parent!.Name, output.Name, "Orleans.IoT.GatewayHost.dll");
        if (!File.Exists(assembly))
        {
            throw new InvalidOperationException($"the standalone gateway is not built: no {assembly} (build Orleans.IoT.sln)");
        }

        return assembly;
    }

    private static async Task<NodeProcess> StartAsync(string project, string assembly, IEnumerable<string> arguments)
    {
        var mqttPort = NodeFixture.FreePort();
        var httpPort = NodeFixture.FreePort();
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.Combine(RepositoryRoot(), project), // its appsettings.json, as `dotnet run --project <project>` reads it
        };
        info.ArgumentList.Add(assembly);
        foreach (var argument in arguments.Concat(
        [
            $"--Mqtt:Port={mqttPort}", "--Mqtt:BindAddress=127.0.0.1",
            $"--Urls=http://127.0.0.1:{httpPort}",
            $"--Auth:Operators:{NodeFixture.OperatorName}={NodeFixture.OperatorKey}",
            "--RateLimit:MaxFailedOperatorKeysPerAddress=1000000", // as NodeFixture's
        ]))
        {
            info.ArgumentList.Add(argument);
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {assembly}");
        var node = new NodeProcess(process, mqttPort, httpPort);
        // A client of an external broker listens for no MQTT: its HTTP port opens once it has started.
        var listensOn = info.ArgumentList.Contains("--Mqtt:Mode=External") ? httpPort : mqttPort;
        process.OutputDataReceived += (_, e) => node.Keep(e.Data);
        process.ErrorDataReceived += (_, e) => node.Keep(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await node.WaitForPortAsync(listensOn, TimeSpan.FromSeconds(60));
        }
        catch
        {
            await node.DisposeAsync();
            throw;
        }

        return node;
    }

    /// <summary>Registers a new device over MQTT as a provisioning client would, then connects it with its token.</summary>
    public async Task<(string DeviceId, TestMqttClient Client)> ConnectNewDeviceAsync()
    {
        var deviceId = $"dev-{Guid.NewGuid():N}";
        await using var provisioning = await TestMqttClient.ConnectAsync(MqttPort);
        await provisioning.SubscribeAsync($"iot/devices/{deviceId}/register/response");
        var ack = await provisioning.PublishAsync($"iot/devices/register/{deviceId}", """{"name":"n","type":"t"}""");
        if (!ack.IsSuccess)
        {
            throw new InvalidOperationException($"registration was refused: {ack.ReasonCode} {ack.ReasonString}");
        }

        var token = (await provisioning.WaitForJsonAsync($"iot/devices/{deviceId}/register/response")).GetProperty("auth_token").GetString();
        return (deviceId, await TestMqttClient.ConnectAsync(MqttPort, deviceId, token));
    }

    /// <summary>What the node wrote to its console so far.</summary>
    public IReadOnlyList<string> Log()
    {
        lock (_log)
        {
            return [.. _log];
        }
    }

    /// <summary>Lines the console logger marks as errors or worse (<c>fail:</c>, <c>crit:</c>).</summary>
    public IReadOnlyList<string> Errors() => Log().Where(line => line.StartsWith("fail:", StringComparison.Ordinal) || line.StartsWith("crit:", StringComparison.Ordinal)).ToList();

    /// <summary>Ctrl-C: SIGINT to the node.</summary>
    public void Interrupt() => Process.Start("kill", ["-INT", _process.Id.ToString()])!.WaitForExit();

    /// <summary>SIGKILL: the node dies at once, saying goodbye to no one.</summary>
    public async Task KillAsync()
    {
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
    }

    public async Task<bool> WaitForExitAsync(TimeSpan timeout)
    {
        using var cancellation = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cancellation.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    private async Task WaitForPortAsync(int port, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                await _process.WaitForExitAsync(); // until its output is read to the end, for the log below
                throw new InvalidOperationException($"the node exited with code {_process.ExitCode}:\n{string.Join('\n', Log())}");
            }

            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync("127.0.0.1", port);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(200);
            }
        }

        throw new TimeoutException($"the node did not listen on {port} within {timeout}:\n{string.Join('\n', Log())}");
    }

    private void Keep(string? line)
    {
        if (line is not null)
        {
            lock (_log)
            {
                _log.Add(line);
            }
        }
    }

    internal static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Orleans.IoT.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"no Orleans.IoT.sln above {AppContext.BaseDirectory}");
    }
}
