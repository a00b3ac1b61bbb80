using System.Collections.Concurrent;
using System.Diagnostics;

namespace IpcContracts.Tests.Support;

/// <summary>The test host (tests/IpcContracts.TestHost) running as a real second process.</summary>
internal sealed class HostProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _lines = new();
    private readonly TaskCompletionSource<string> _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private HostProcess(Process process) => _process = process;

    public IReadOnlyCollection<string> Lines => _lines;

    /// <summary>The endpoint a server host reported it bound (tcp port 0 becomes a real port).</summary>
    public string Endpoint { get; private set; } = "";
    public int Id => _process.Id;

    private static string HostPath => PathOf("IpcContracts.TestHost");

    /// <summary>The built dll of another test project: tests/IpcContracts.Tests/bin/&lt;cfg&gt;/&lt;tfm&gt;/ -> tests/PROJECT/bin/&lt;cfg&gt;/&lt;tfm&gt;/PROJECT.dll.</summary>
    private static string PathOf(string project)
    {
        var mine = AppContext.BaseDirectory;
        var path = Path.Combine(mine.Replace("IpcContracts.Tests", project), project + ".dll");
        return File.Exists(path) ? path : throw new FileNotFoundException($"Build tests/{project} first.", path);
    }

    /// <summary>
    /// Starts another host project (built next to this one, e.g. the versioning hosts) on the JIT with
    /// <paramref name="args"/>; for a "server", waits until it prints READY.
    /// </summary>
    public static async Task<HostProcess> StartProjectAsync(string project, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(PathOf(project));
        foreach (var a in args) info.ArgumentList.Add(a);
        var host = Attach(Process.Start(info) ?? throw new InvalidOperationException($"Could not start {project}."));
        if (args.Length > 0 && args[0] == "server")
            host.Endpoint = (await host._ready.Task.WaitAsync(TimeSpan.FromSeconds(30)))["READY ".Length..];
        return host;
    }

    /// <summary>Starts "server ENDPOINT" and waits until it listens; <paramref name="nativeBinary"/> runs the AOT build instead of the JIT one.</summary>
    public static async Task<HostProcess> StartServerAsync(string endpoint, string? nativeBinary = null, params (string Name, string Value)[] environment)
    {
        var host = Start(nativeBinary, environment, "server", endpoint);
        host.Endpoint = (await host._ready.Task.WaitAsync(TimeSpan.FromSeconds(30)))["READY ".Length..];
        return host;
    }

    /// <summary>Starts "aggregator ENDPOINT" (EventAggregators serving GetPrice and printing PriceChanged) and waits until it serves.</summary>
    public static async Task<HostProcess> StartAggregatorAsync(string endpoint)
    {
        var host = Start(null, [], "aggregator", endpoint);
        host.Endpoint = (await host._ready.Task.WaitAsync(TimeSpan.FromSeconds(30)))["READY ".Length..];
        return host;
    }

    /// <summary>Starts "client ENDPOINT SCENARIO".</summary>
    public static HostProcess StartClient(string endpoint, string scenario, string? nativeBinary = null, params (string Name, string Value)[] environment) =>
        Start(nativeBinary, environment, "client", endpoint, scenario);

    /// <summary>Runs the native host as another user through setpriv (needs root), with extra environment variables.</summary>
    public static HostProcess StartClientAsUser(uint uid, string nativeBinary, string endpoint, string scenario, params (string Name, string Value)[] environment) =>
        StartAsUser(uid, nativeBinary, environment, "client", endpoint, scenario);

    /// <summary>Runs the native host's "server ENDPOINT" as another user through setpriv (needs root) and waits until it listens.</summary>
    public static async Task<HostProcess> StartServerAsUserAsync(uint uid, string nativeBinary, string endpoint, params (string Name, string Value)[] environment)
    {
        var host = StartAsUser(uid, nativeBinary, environment, "server", endpoint);
        host.Endpoint = (await host._ready.Task.WaitAsync(TimeSpan.FromSeconds(30)))["READY ".Length..];
        return host;
    }

    private static HostProcess StartAsUser(uint uid, string nativeBinary, (string Name, string Value)[] environment, params string[] args)
    {
        var wrapper = new ProcessStartInfo("setpriv") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (var a in new[] { $"--reuid={uid}", $"--regid={uid}", "--clear-groups", nativeBinary }.Concat(args))
            wrapper.ArgumentList.Add(a);
        foreach (var (name, value) in environment) wrapper.Environment[name] = value;
        return Attach(Process.Start(wrapper) ?? throw new InvalidOperationException("Could not start setpriv."));
    }

    private static HostProcess Start(string? nativeBinary, (string Name, string Value)[] environment, params string[] args)
    {
        var info = new ProcessStartInfo(nativeBinary ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        if (nativeBinary is null) info.ArgumentList.Add(HostPath);
        foreach (var a in args) info.ArgumentList.Add(a);
        foreach (var (name, value) in environment) info.Environment[name] = value;
        return Attach(Process.Start(info) ?? throw new InvalidOperationException("Could not start the test host."));
    }

    private static HostProcess Attach(Process process)
    {
        var host = new HostProcess(process);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            host._lines.Enqueue(e.Data);
            if (e.Data.StartsWith("READY", StringComparison.Ordinal)) host._ready.TrySetResult(e.Data);
        };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) host._lines.Enqueue("stderr: " + e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        process.EnableRaisingEvents = true;
        process.Exited += (_, _) =>
        {
            // Exited can fire before the output handlers have delivered the last lines (the error we want to see).
            try { process.WaitForExit(); } catch (InvalidOperationException) { }
            host._ready.TrySetException(new InvalidOperationException("The host exited: " + string.Join("\n", host._lines)));
        };
        return host;
    }

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        await _process.WaitForExitAsync().WaitAsync(timeout);
        _process.WaitForExit(); // drains the output handlers
        return _process.ExitCode;
    }

    /// <summary>Writes one line to the host's standard input (a server host answers "count" with "COUNT n").</summary>
    public void SendLine(string line)
    {
        _process.StandardInput.WriteLine(line);
        _process.StandardInput.Flush();
    }

    public Task WaitForLineAsync(string prefix) => Eventually.TrueAsync(() => _lines.Any(l => l.StartsWith(prefix, StringComparison.Ordinal)), 30_000);

    /// <summary>
    /// kill -9. A killed server cannot remove its socket file (the next server on that name replaces it);
    /// names here are random, so the test removes it to leave nothing behind.
    /// </summary>
    public void Kill()
    {
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
        if (Endpoint.Length == 0) return;
        var endpoint = IpcContracts.Transports.IpcEndpoint.Parse(Endpoint);
        var socketEndpoint = endpoint.Scheme switch
        {
            "pipe" => endpoint,
            "shm" => new IpcContracts.Transports.IpcEndpoint("pipe", endpoint.Address + ".shm"),
            _ => null,
        };
        if (socketEndpoint is not null) File.Delete(IpcContracts.Transports.Pipe.UnixSocketPipes.GetSocketPath(socketEndpoint));
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            try
            {
                _process.StandardInput.Close(); // asks a server host to shut down cleanly
                await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
            }
            catch (Exception)
            {
                Kill();
            }
        }
        _process.Dispose();
    }
}
