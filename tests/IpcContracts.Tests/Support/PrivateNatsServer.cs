using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace IpcContracts.Tests.Support;

/// <summary>
/// A nats-server of one test's own (loopback, a free port, JetStream with a store in a temporary directory), for tests
/// that kill and restart the broker: the shared one from IPC_NATS_URL must stay up for every other test.
/// </summary>
internal sealed class PrivateNatsServer : IAsyncDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), $"ipc-nats-{Guid.NewGuid():N}");
    private Process? _process;

    private PrivateNatsServer(int port) => Port = port;

    public int Port { get; }

    public string Url => $"nats://127.0.0.1:{Port}";

    /// <summary>Whether nats-server is on PATH (the tests that need one are skipped without it, unless IPC_NATS_REQUIRED=1).</summary>
    public static bool Available => (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':')
        .Any(dir => dir.Length > 0 && File.Exists(Path.Combine(dir, "nats-server")));

    public static async Task<PrivateNatsServer> StartAsync()
    {
        var server = new PrivateNatsServer(FreePort());
        Directory.CreateDirectory(server._directory);
        await server.RunAsync();
        return server;
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    /// <summary>Starts the server (again: same port, same store) and waits until it accepts clients.</summary>
    public async Task RunAsync()
    {
        var info = new ProcessStartInfo("nats-server") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "-a", "127.0.0.1", "-p", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-js", "-sd", Path.Combine(_directory, "store") })
            info.ArgumentList.Add(a);
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var log = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var process = Process.Start(info) ?? throw new InvalidOperationException("Could not start nats-server.");
        DataReceivedEventHandler onLine = (_, e) =>
        {
            if (e.Data is null) return;
            log.Enqueue(e.Data);
            if (e.Data.Contains("Server is ready", StringComparison.Ordinal)) ready.TrySetResult();
        };
        process.OutputDataReceived += onLine;
        process.ErrorDataReceived += onLine;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        process.EnableRaisingEvents = true;
        process.Exited += (_, _) => ready.TrySetException(new InvalidOperationException("nats-server exited: " + string.Join("\n", log)));
        _process = process;
        await ready.Task.WaitAsync(TimeSpan.FromSeconds(30));
    }

    /// <summary>kill -9: no shutdown, no flush beyond what the server already wrote.</summary>
    public void Kill()
    {
        if (_process is not { } process) return;
        _process = null;
        process.Kill(entireProcessTree: true);
        process.WaitForExit();
        process.Dispose();
    }

    public ValueTask DisposeAsync()
    {
        Kill();
        try { Directory.Delete(_directory, recursive: true); } catch (IOException) { }
        return default;
    }
}

/// <summary>A fact that starts nats-server itself; skipped when it is not on PATH (unless IPC_NATS_REQUIRED=1, as in CI).</summary>
public sealed class NatsServerFactAttribute : FactAttribute
{
    public NatsServerFactAttribute()
    {
        if (!PrivateNatsServer.Available && !NatsBroker.Required)
            Skip = "needs nats-server on PATH (apt-get install nats-server; .ci/run installs it)";
    }
}
