namespace Orleans.IoT.Benchmark.Hosting;

/// <summary>
/// A Mosquitto for the external-broker scenario, on a free loopback port, with deploy/mosquitto/mosquitto.conf's
/// settings except those a benchmark cannot keep: anonymous clients without an ACL (a thousand device accounts would
/// measure the password file), no persistence to disk, and no bound on a session's queue, so that a gateway slower than
/// the load accumulates a backlog instead of losing readings.
/// </summary>
public static class MosquittoProcess
{
    private static readonly string[] Replaced =
    [
        "allow_anonymous", "password_file", "acl_file", "listener", "persistence", "persistence_location", "autosave_interval",
        "max_queued_messages", "user", "log_dest",
    ];

    public static async Task<(ChildProcess Broker, int Port)> StartAsync()
    {
        var binary = new[] { "/usr/sbin/mosquitto", "/usr/bin/mosquitto" }.FirstOrDefault(File.Exists)
            ?? throw new FileNotFoundException("mosquitto is not installed (deploy/services.sh start installs it with apt-get)");
        var folder = Directory.CreateTempSubdirectory("orleans-iot-bench-mosquitto.").FullName;
        var port = SystemNode.FreePort();
        var shipped = File.ReadAllLines(Path.Combine(SystemNode.RepositoryRoot(), "deploy", "mosquitto", "mosquitto.conf"))
            .Where(line => !Replaced.Contains(line.Split(' ', 2)[0]));
        var config = Path.Combine(folder, "mosquitto.conf");
        File.WriteAllLines(config,
        [
            .. shipped,
            "allow_anonymous true",
            $"listener {port} 127.0.0.1",
            "persistence false",
            "max_queued_messages 0",
            $"user {Environment.UserName}",
            "log_dest stderr",
        ]);
        var broker = ChildProcess.Start("mosquitto", binary, ["-c", config]);
        await broker.WaitForPortAsync(port, TimeSpan.FromSeconds(10));
        return (broker, port);
    }
}
