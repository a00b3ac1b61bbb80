using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Quickstart;

/// <summary>
/// For <c>--transport nats</c>: a nats-server of the quickstart's own on loopback and a free port, stopped at the end.
/// A real deployment points every process at a shared broker instead (<c>--endpoint nats://HOST:PORT</c>).
/// </summary>
internal sealed class PrivateNatsServer : IDisposable
{
    private readonly Process _process;

    private PrivateNatsServer(Process process, int port)
    {
        _process = process;
        Endpoint = $"nats://127.0.0.1:{port}/quickstart";
    }

    public string Endpoint { get; }

    /// <summary>The nats-server binary on PATH, or null.</summary>
    public static string? FindBinary() => (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator)
        .Where(dir => dir.Length > 0).Select(dir => Path.Combine(dir, OperatingSystem.IsWindows() ? "nats-server.exe" : "nats-server"))
        .FirstOrDefault(File.Exists);

    public static async Task<PrivateNatsServer> StartAsync(string binary)
    {
        int port;
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }
        var info = new ProcessStartInfo(binary) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "-a", "127.0.0.1", "-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture) }) info.ArgumentList.Add(a);
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var process = Process.Start(info) ?? throw new InvalidOperationException("Could not start nats-server.");
        DataReceivedEventHandler onLine = (_, e) => { if (e.Data?.Contains("Server is ready", StringComparison.Ordinal) == true) ready.TrySetResult(); };
        process.OutputDataReceived += onLine;
        process.ErrorDataReceived += onLine; // nats-server logs to standard error
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        process.EnableRaisingEvents = true;
        process.Exited += (_, _) => ready.TrySetException(new InvalidOperationException($"nats-server exited with code {process.ExitCode}"));
        try
        {
            await ready.Task.WaitAsync(TimeSpan.FromSeconds(15));
        }
        catch
        {
            if (!process.HasExited) process.Kill();
            process.Dispose();
            throw;
        }
        return new PrivateNatsServer(process, port);
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            _process.WaitForExit(5_000);
        }
        _process.Dispose();
    }
}
