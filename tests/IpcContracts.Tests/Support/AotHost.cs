using System.Diagnostics;
using System.Text.RegularExpressions;

namespace IpcContracts.Tests.Support;

/// <summary>
/// Publishes tests/IpcContracts.TestHost with Native AOT once per test run (first use) and shares the
/// binary and the publish log with every AOT test.
/// </summary>
internal static partial class AotHost
{
    private static readonly Lazy<Task<Published>> s_publish = new(PublishAsync);

    public sealed record Published(string BinaryPath, string Log, int ExitCode, string[] TrimOrAotWarnings);

    public static Task<Published> GetAsync() => s_publish.Value;

    private static string RepoRoot
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "IpcContracts.sln"))) dir = dir.Parent;
            return dir?.FullName ?? throw new InvalidOperationException("Cannot find the repository root.");
        }
    }

    private static async Task<Published> PublishAsync()
    {
        var output = Path.Combine(RepoRoot, "artifacts", "aot-testhost");
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "publish", Path.Combine(RepoRoot, "tests", "IpcContracts.TestHost", "IpcContracts.TestHost.csproj"),
                     "-c", "Release", "-r", "linux-x64", "-o", output, "-nologo", "-clp:NoSummary", "-v:minimal" })
            info.ArgumentList.Add(a);
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(10));
        var log = await stdout + await stderr;
        var warnings = TrimOrAotWarning().Matches(log).Select(m => m.Value).Distinct().ToArray();
        return new Published(Path.Combine(output, "IpcContracts.TestHost"), log, process.ExitCode, warnings);
    }

    [GeneratedRegex(@"(warning|error) IL[23]\d{3}[^\r\n]*")]
    private static partial Regex TrimOrAotWarning();
}
