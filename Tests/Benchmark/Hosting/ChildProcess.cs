using System.Diagnostics;
using System.Net.Sockets;

namespace Orleans.IoT.Benchmark.Hosting;

/// <summary>A process the benchmark starts, measures (CPU, peak memory) and stops.</summary>
public sealed class ChildProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly List<string> _output = [];

    private ChildProcess(Process process, string name)
    {
        _process = process;
        Name = name;
    }

    public string Name { get; }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>The runtime switch the load generator sets for itself and keeps from its children.</summary>
    public const string InlineSocketCompletions = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";

    public static ChildProcess Start(string name, string fileName, IEnumerable<string> arguments, IDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        info.Environment.Remove(InlineSocketCompletions);
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {name}");
        var child = new ChildProcess(process, name);
        process.OutputDataReceived += (_, e) => child.Keep(e.Data);
        process.ErrorDataReceived += (_, e) => child.Keep(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    /// <summary>Waits until <paramref name="port"/> on loopback accepts connections, or the process exits.</summary>
    public async Task WaitForPortAsync(int port, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"{Name} exited with code {_process.ExitCode}:\n{Output()}");
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

        throw new TimeoutException($"{Name} did not listen on {port} within {timeout}:\n{Output()}");
    }

    /// <summary>User + system CPU the process has used so far.</summary>
    public TimeSpan CpuTime()
    {
        _process.Refresh();
        return _process.TotalProcessorTime;
    }

    /// <summary>Peak resident memory (VmHWM), in bytes.</summary>
    public long PeakMemoryBytes() => ProcessMemory.Read(_process.Id, "VmHWM:");

    /// <summary>Current resident memory (VmRSS), in bytes.</summary>
    public long ResidentMemoryBytes() => ProcessMemory.Read(_process.Id, "VmRSS:");

    public string Output()
    {
        lock (_output)
        {
            return string.Join('\n', _output.TakeLast(40));
        }
    }

    /// <summary>Kills the process and its children at once (SIGKILL), as a crash would.</summary>
    public void Kill()
    {
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit(TimeSpan.FromSeconds(10)); // not WaitForExit(): it would also wait for the end of the output
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            Process.Start("kill", ["-TERM", _process.Id.ToString()])?.WaitForExit();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            try
            {
                await _process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
            }
        }

        _process.Dispose();
    }

    private void Keep(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.Add(line);
            if (_output.Count > 400)
            {
                _output.RemoveRange(0, 200);
            }
        }
    }
}

public static class ProcessMemory
{
    /// <summary>A <c>/proc/&lt;pid&gt;/status</c> field in bytes (the file gives kB).</summary>
    public static long Read(int pid, string field)
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith(field, StringComparison.Ordinal))
            {
                return long.Parse(line[field.Length..].Trim().Split(' ')[0]) * 1024;
            }
        }

        return 0;
    }
}
