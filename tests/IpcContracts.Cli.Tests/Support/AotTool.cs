using System.Diagnostics;
using System.Text.RegularExpressions;

namespace IpcContracts.Cli.Tests.Support;

/// <summary>Publishes the tool as Native AOT once per test run (first use) and shares the binary and the publish log.</summary>
internal static partial class AotTool
{
    private static readonly Lazy<Task<Published>> s_publish = new(PublishAsync);

    public sealed record Published(string BinaryPath, string Log, int ExitCode, string[] TrimOrAotWarnings)
    {
        public Tool Tool => new(BinaryPath);
    }

    public static Task<Published> GetAsync() => s_publish.Value;

    private static async Task<Published> PublishAsync()
    {
        var output = Path.Combine(Paths.RepoRoot, "artifacts", "aot-ipc");
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "publish", Path.Combine(Paths.RepoRoot, "tools", "IpcContracts.Cli", "IpcContracts.Cli.csproj"),
                     "-c", "Release", "-r", "linux-x64", "-o", output, "-nologo", "-clp:NoSummary", "-v:minimal" })
            info.ArgumentList.Add(a);
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(10));
        var log = await stdout + await stderr;
        var warnings = TrimOrAotWarning().Matches(log).Select(m => m.Value).Distinct().ToArray();
        return new Published(Path.Combine(output, "ipc"), log, process.ExitCode, warnings);
    }

    [GeneratedRegex(@"(warning|error) IL[23]\d{3}[^\r\n]*")]
    private static partial Regex TrimOrAotWarning();
}
