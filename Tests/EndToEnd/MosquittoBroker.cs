using System.Diagnostics;
using MQTTnet;

namespace Orleans.IoT.Tests.EndToEnd;

/// <summary>
/// A throw-away Mosquitto on a free loopback port, running the shipped <c>deploy/mosquitto/mosquitto.conf</c> and
/// <c>deploy/mosquitto/acl</c> with its own listener, state folder and password file; killed and deleted on dispose.
/// The binaries come from ORLEANS_IOT_MOSQUITTO (a folder holding <c>mosquitto</c> and <c>mosquitto_passwd</c>) or the
/// machine's packages (deploy/services.sh installs them).
/// </summary>
public sealed class MosquittoBroker : IAsyncDisposable
{
    public const string Variable = "ORLEANS_IOT_MOSQUITTO";

    /// <summary>The gateways' account in the shipped ACL.</summary>
    public const string GatewayUser = "orleans-iot-gateway";
    public const string GatewayPassword = "gateway-test-password";

    /// <summary>The shared-subscription group the shipped ACL lets the gateways read through (the default one).</summary>
    public const string SharedGroup = "orleans-iot";

    private static readonly string[] Replaced = ["listener", "persistence_location", "password_file", "acl_file", "user", "log_dest"];

    private readonly string _folder;
    private readonly string _passwordTool;
    private readonly SemaphoreSlim _passwordFileLock = new(1, 1);
    private Process _process;

    private MosquittoBroker(string folder, string passwordTool, Process process, int port)
    {
        _folder = folder;
        _passwordTool = passwordTool;
        _process = process;
        Port = port;
    }

    public int Port { get; }

    private string PasswordFile => Path.Combine(_folder, "passwd");

    /// <summary>Starts Mosquitto with the gateway's account and <paramref name="accounts"/> (user name, password).</summary>
    public static async Task<MosquittoBroker> StartAsync(params (string User, string Password)[] accounts)
    {
        var (broker, passwordTool) = Binaries();
        var folder = Directory.CreateTempSubdirectory("orleans-iot-mosquitto.").FullName;
        var port = NodeFixture.FreePort();
        var deploy = Path.Combine(NodeProcess.RepositoryRoot(), "deploy", "mosquitto");
        var kept = File.ReadAllLines(Path.Combine(deploy, "mosquitto.conf"))
            .Where(line => !Replaced.Contains(line.Split(' ', 2)[0]));
        File.WriteAllLines(Path.Combine(folder, "mosquitto.conf"),
        [
            .. kept,
            $"listener {port} 127.0.0.1",
            $"persistence_location {folder}/",
            $"password_file {folder}/passwd",
            $"acl_file {Path.Combine(deploy, "acl")}",
            $"user {Environment.UserName}", // as root, Mosquitto would otherwise switch to a user that cannot read this folder
            "log_dest stderr",
        ]);
        File.WriteAllText(Path.Combine(folder, "passwd"), string.Empty);
        foreach (var (user, password) in accounts.Prepend((GatewayUser, GatewayPassword)))
        {
            await RunAsync(passwordTool, ["-b", Path.Combine(folder, "passwd"), user, password]);
        }

        var process = Launch(broker, folder);
        var started = new MosquittoBroker(folder, passwordTool, process, port);
        await started.WaitUntilListeningAsync();
        return started;
    }

    /// <summary>Adds broker accounts and has Mosquitto reload its password file (SIGHUP); returns once the last one logs in.</summary>
    public async Task AddAccountsAsync(params (string User, string Password)[] accounts)
    {
        // mosquitto_passwd rewrites the whole file: two at once would lose one's account.
        await _passwordFileLock.WaitAsync();
        try
        {
            foreach (var (user, password) in accounts)
            {
                await RunAsync(_passwordTool, ["-b", PasswordFile, user, password]);
            }
        }
        finally
        {
            _passwordFileLock.Release();
        }

        await RunAsync("kill", ["-HUP", _process.Id.ToString()]);
        var (lastUser, lastPassword) = accounts[^1];
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (true)
        {
            await using var probe = await TestMqttClient.ConnectAsync(Port, lastUser, lastPassword, clientId: $"probe-{Guid.NewGuid():N}", throwOnRefusal: false);
            if (probe.ConnectResult.ResultCode == MqttClientConnectResultCode.Success)
            {
                return;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Mosquitto did not take the account {lastUser} within 10 s:\n{Log()}");
            }

            await Task.Delay(50);
        }
    }

    /// <summary>Stops Mosquitto; it saves its sessions for <see cref="StartAgainAsync"/>.</summary>
    public Task StopAsync() => StopProcessAsync();

    /// <summary>Starts the stopped Mosquitto again on the same port and state.</summary>
    public async Task StartAgainAsync()
    {
        _process.Dispose();
        _process = Launch(Binaries().Broker, _folder);
        await WaitUntilListeningAsync();
    }

    public string Log() => File.Exists(Path.Combine(_folder, "log")) ? File.ReadAllText(Path.Combine(_folder, "log")) : string.Empty;

    public async ValueTask DisposeAsync()
    {
        await StopProcessAsync();
        _process.Dispose();
        Directory.Delete(_folder, recursive: true);
    }

    private async Task StopProcessAsync()
    {
        if (_process.HasExited)
        {
            return;
        }

        await RunAsync("kill", ["-TERM", _process.Id.ToString()]); // Mosquitto saves its sessions on the way out
        using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            await _process.WaitForExitAsync(patience.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }
    }

    private static Process Launch(string broker, string folder)
    {
        var info = new ProcessStartInfo("sh") { UseShellExecute = false };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add($"exec \"$0\" -c \"$1\" 2>>\"$2\"");
        info.ArgumentList.Add(broker);
        info.ArgumentList.Add(Path.Combine(folder, "mosquitto.conf"));
        info.ArgumentList.Add(Path.Combine(folder, "log"));
        return Process.Start(info) ?? throw new InvalidOperationException("could not start mosquitto");
    }

    private async Task WaitUntilListeningAsync()
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (true)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"mosquitto exited with code {_process.ExitCode}:\n{Log()}");
            }

            try
            {
                using var probe = new System.Net.Sockets.TcpClient();
                await probe.ConnectAsync("127.0.0.1", Port);
                return;
            }
            catch (System.Net.Sockets.SocketException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(50);
            }
        }
    }

    private static (string Broker, string PasswordTool) Binaries()
    {
        string[] folders = Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } configured
            ? [configured]
            : ["/usr/sbin", "/usr/bin", "/usr/local/sbin", "/usr/local/bin"];
        var broker = folders.Select(f => Path.Combine(f, "mosquitto")).FirstOrDefault(File.Exists);
        var passwordTool = folders.Select(f => Path.Combine(f, "mosquitto_passwd")).FirstOrDefault(File.Exists);
        return broker is not null && passwordTool is not null
            ? (broker, passwordTool)
            : throw new InvalidOperationException(
                $"Mosquitto is required by the external-broker tests: install it (deploy/services.sh start does, with apt-get) or set {Variable} to the folder holding mosquitto and mosquitto_passwd.");
    }

    private static async Task RunAsync(string file, string[] arguments)
    {
        var info = new ProcessStartInfo(file) { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException($"could not run {file}");
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} failed ({process.ExitCode}): {error}");
        }
    }
}
