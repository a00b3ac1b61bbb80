using System.Diagnostics;

namespace IpcContracts.Cli.Tests.Support;

/// <summary>
/// tests/IpcContracts.TestHost as a real server process ("server ENDPOINT": ICalculator, IStreams and the untyped
/// "tools.echo"); one per test class, on a fresh pipe name.
/// </summary>
public sealed class ServerHost : IAsyncLifetime
{
    private Process? _process;

    public string Endpoint { get; private set; } = "";

    public async Task InitializeAsync()
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(Paths.TestHostDll);
        info.ArgumentList.Add("server");
        info.ArgumentList.Add($"pipe://cli-{Guid.NewGuid():N}"[..24]);
        _process = Process.Start(info) ?? throw new InvalidOperationException("Could not start the test host.");
        var ready = await _process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30));
        if (ready is null || !ready.StartsWith("READY ", StringComparison.Ordinal))
            throw new InvalidOperationException($"The test host did not start: {ready} {await _process.StandardError.ReadToEndAsync()}");
        Endpoint = ready["READY ".Length..];
        _ = _process.StandardOutput.ReadToEndAsync(); // keep draining
    }

    public async Task DisposeAsync()
    {
        if (_process is null) return;
        try
        {
            _process.StandardInput.Close(); // a server host stops cleanly when its stdin closes
            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (TimeoutException)
        {
            _process.Kill(entireProcessTree: true);
        }
        _process.Dispose();
    }
}
