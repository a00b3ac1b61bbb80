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

    private static Task<Published> PublishAsync() =>
        PublishProjectAsync(Path.Combine("tests", "IpcContracts.TestHost", "IpcContracts.TestHost.csproj"), "aot-testhost", "IpcContracts.TestHost");

    /// <summary>
    /// Publishes a project of the repository (a path relative to its root) as Native AOT into artifacts/<paramref name="folder"/>.
    /// </summary>
    /// <param name="ownArtifacts">
    /// Give the publish its own obj/ and bin/ folders, so it can run while another publish of the same libraries does
    /// (the test host's, in another test class).
    /// </param>
    public static async Task<Published> PublishProjectAsync(string project, string folder, string binaryName, bool ownArtifacts = false)
    {
        var artifacts = Path.Combine(RepoRoot, "artifacts", folder);
        var output = ownArtifacts ? Path.Combine(artifacts, "out") : artifacts;
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "publish", Path.Combine(RepoRoot, project), "-c", "Release", "-r", "linux-x64", "-o", output, "-nologo", "-clp:NoSummary", "-v:minimal" })
            info.ArgumentList.Add(a);
        if (ownArtifacts)
        {
            info.ArgumentList.Add("--artifacts-path");
            info.ArgumentList.Add(artifacts);
        }
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(10));
        var log = await stdout + await stderr;
        var warnings = TrimOrAotWarning().Matches(log).Select(m => m.Value).Distinct().ToArray();
        return new Published(Path.Combine(output, binaryName), log, process.ExitCode, warnings);
    }

    [GeneratedRegex(@"(warning|error) IL[23]\d{3}[^\r\n]*")]
    private static partial Regex TrimOrAotWarning();
}
