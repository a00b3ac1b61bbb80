using System.Collections.Concurrent;
using System.Diagnostics;

namespace IpcContracts.Windows.Tests;

/// <summary>
/// tests/IpcContracts.TestHost as a second Windows process: published self-contained for win-x64 into host/ next to
/// this program (.ci/windows-tests.sh does that; IPC_WINDOWS_HOST overrides the path). Same roles and output lines as on
/// Linux: "server ENDPOINT" prints "READY endpoint" and serves until stdin closes, "client ENDPOINT SCENARIO" prints OK lines.
/// </summary>
internal sealed class WindowsHost : IAsyncDisposable
{
    /// <summary>
    /// Bounds every wait on the host: a host that never answers fails the test, it does not hang the run. Generous on
    /// purpose: on 2 shared cores under load, a .NET process starting under Wine has taken tens of seconds.
    /// </summary>
    public static readonly TimeSpan Bound = TimeSpan.FromSeconds(90);

    /// <summary>
    /// Handshake and connect bound of both processes (IpcOptions default: 10 s). Under Wine on loaded shared cores a fresh
    /// process has needed more than 10 s to reach the end of its first handshake; these tests check behaviour, not speed.
    /// </summary>
    public static readonly TimeSpan HandshakeBound = TimeSpan.FromSeconds(60);

    /// <summary>Options for this process's clients and servers: the default ones, with <see cref="HandshakeBound"/>.</summary>
    public static IpcOptions Options() => new() { HandshakeTimeout = HandshakeBound, ConnectTimeout = HandshakeBound };

    private readonly Process _process;
    private readonly ConcurrentQueue<string> _lines = new();
    private readonly TaskCompletionSource<string> _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private readonly long _started = Environment.TickCount64;
    private readonly string[] _args;

    private WindowsHost(Process process, string[] args) => (_process, _args) = (process, args);

    public IReadOnlyCollection<string> Lines => _lines;

    /// <summary>The endpoint a server host reported it bound (tcp port 0 becomes a real port).</summary>
    public string Endpoint { get; private set; } = "";

    /// <summary>The host's process ID, as the OS gave it to us when we started it.</summary>
    public int Id => _process.Id;

    public static string HostPath
    {
        get
        {
            var path = Environment.GetEnvironmentVariable("IPC_WINDOWS_HOST") is { Length: > 0 } overridden
                ? overridden
                : Path.Combine(AppContext.BaseDirectory, "host", OperatingSystem.IsWindows() ? "IpcContracts.TestHost.exe" : "IpcContracts.TestHost");
            return File.Exists(path)
                ? path
                : throw new FileNotFoundException("Publish tests/IpcContracts.TestHost into host/ next to this program (.ci/windows-tests.sh does).", path);
        }
    }

    /// <summary>Starts "server ENDPOINT" and waits until it prints READY.</summary>
    public static async Task<WindowsHost> StartServerAsync(string endpoint)
    {
        var host = Start("server", endpoint);
        try
        {
            host.Endpoint = (await host._ready.Task.WaitAsync(Bound))["READY ".Length..];
        }
        catch (TimeoutException)
        {
            var output = host.Output;
            await host.DisposeAsync();
            throw new TimeoutException($"The server host did not print READY within {Bound.TotalSeconds} s:\n{output}");
        }
        catch (Exception)
        {
            await host.DisposeAsync();
            throw;
        }
        return host;
    }

    /// <summary>Starts "client ENDPOINT SCENARIO" (scenarios: tests/IpcContracts.TestHost/ClientScenarios.cs).</summary>
    public static WindowsHost StartClient(string endpoint, string scenario) => Start("client", endpoint, scenario);

    private static WindowsHost Start(params string[] args)
    {
        var info = new ProcessStartInfo(HostPath)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var a in args) info.ArgumentList.Add(a);
        info.Environment["IPC_HANDSHAKE_TIMEOUT_MS"] = ((int)HandshakeBound.TotalMilliseconds).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var process = StartProcess(info);
        var host = new WindowsHost(process, args);
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
            host._ready.TrySetException(new InvalidOperationException($"The host exited:\n{host.Output}"));
        };
        return host;
    }

    /// <summary>
    /// Starts the process, trying up to three times. Under Wine 8 on a loaded machine CreateProcess sometimes fails with
    /// "Internal error" (Win32Exception) although the same start succeeds a moment later (seen once in 39 starts of a CI
    /// run, in a case that had nothing to do with starting processes). A host that fails three times fails the test.
    /// </summary>
    private static Process StartProcess(ProcessStartInfo info)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return Process.Start(info) ?? throw new InvalidOperationException("Could not start the test host.");
            }
            catch (System.ComponentModel.Win32Exception) when (attempt < 3)
            {
                Thread.Sleep(500);
            }
        }
    }

    /// <summary>The host's state and everything it printed so far, for assertion messages.</summary>
    public string Output
    {
        get
        {
            var state = _process.HasExited ? $"exited with code {_process.ExitCode}" : "still running";
            var age = (Environment.TickCount64 - _started) / 1000.0;
            return $"[host {Id} {string.Join(' ', _args)}: {state}, started {age:0.0} s ago]\n" + string.Join("\n", _lines);
        }
    }

    public async Task<int> WaitForExitAsync()
    {
        await _process.WaitForExitAsync().WaitAsync(Bound);
        _process.WaitForExit(); // drains the output handlers
        return _process.ExitCode;
    }

    public void SendLine(string line)
    {
        _process.StandardInput.WriteLine(line);
        _process.StandardInput.Flush();
    }

    public async Task WaitForLineAsync(string line)
    {
        var deadline = Environment.TickCount64 + (long)Bound.TotalMilliseconds;
        while (!_lines.Contains(line))
        {
            if (Environment.TickCount64 > deadline) Assert.Fail($"The host did not print '{line}' within {Bound.TotalSeconds} s:\n{Output}");
            await Task.Delay(10);
        }
    }

    /// <summary>
    /// TerminateProcess: the host gets no chance to close anything (no Goodbye, no cleanup). Not the process tree: the
    /// host starts no processes, and finding a tree reads every process's start time, which under Wine can throw for a
    /// process that is exiting at that moment (ArgumentOutOfRangeException, "Not a valid Win32 FileTime").
    /// </summary>
    public void Kill()
    {
        _process.Kill(entireProcessTree: false);
        _process.WaitForExit();
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            try
            {
                _process.StandardInput.Close(); // a server host shuts down cleanly when its stdin closes
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
