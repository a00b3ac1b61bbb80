using System.Diagnostics;
using System.Text.RegularExpressions;

namespace IpcContracts.Hosting.Tests;

/// <summary>
/// samples/Hosting publishes as Native AOT (hosting, IpcContracts, OpenTelemetry) with no trim or AOT warning, and the
/// native binary runs both processes and finds one trace across them.
/// </summary>
public sealed partial class HostingSampleAotTests
{
    [Fact]
    [Trait("Category", "Aot")]
    public async Task The_hosting_sample_publishes_as_native_AOT_without_warnings_and_runs()
    {
        var root = RepoRoot();
        // Its own artifacts path: this publish shares no obj/ or bin/ folder with builds running at the same time.
        var artifacts = Path.Combine(root, "artifacts", "aot-hosting-sample");
        var output = Path.Combine(artifacts, "out");
        var (exit, log) = await RunAsync("dotnet", TimeSpan.FromMinutes(15), "publish", Path.Combine(root, "samples", "Hosting", "HostingSample", "HostingSample.csproj"),
            "-c", "Release", "-r", "linux-x64", "--artifacts-path", artifacts, "-o", output, "-nologo", "-clp:NoSummary", "-v:minimal");
        Assert.True(exit == 0, log);
        Assert.Empty(TrimOrAotWarning().Matches(log).Select(m => m.Value).Distinct());

        var (runExit, runLog) = await RunAsync(Path.Combine(output, "HostingSample"), TimeSpan.FromMinutes(2),
            "--endpoint", $"pipe://hs-{Guid.NewGuid():N}"[..20]);
        Assert.True(runExit == 0, runLog);
        Assert.Matches(@"hosting sample: OK, trace [0-9a-f]{32} has \d+ spans in the shop and \d+ in the warehouse", runLog);
    }

    private static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "IpcContracts.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("Cannot find the repository root.");
    }

    private static async Task<(int Exit, string Log)> RunAsync(string program, TimeSpan timeout, params string[] args)
    {
        var info = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) info.ArgumentList.Add(a);
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            await process.WaitForExitAsync().WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
        return (process.ExitCode, await stdout + await stderr);
    }

    [GeneratedRegex(@"(warning|error) IL[23]\d{3}[^\r\n]*")]
    private static partial Regex TrimOrAotWarning();
}
