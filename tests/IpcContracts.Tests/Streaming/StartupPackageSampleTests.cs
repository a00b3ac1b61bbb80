using System.Diagnostics;
using IpcContracts.Tests.Support;

namespace IpcContracts.Tests.Streaming;

/// <summary>
/// samples/StartupPackage (seed 000's use case: a worker hands a UI process a 24 MiB package with progress, as a Stream)
/// publishes as Native AOT without trim or AOT warnings, and its two native processes move the package intact over pipe
/// and shm. No timing is asserted; the sample prints its figures.
/// </summary>
public sealed class StartupPackageSampleTests
{
    [Fact]
    [Trait("Category", "Aot")]
    public async Task The_startup_package_sample_publishes_native_and_moves_its_package_intact_over_pipe_and_shm()
    {
        var published = await AotHost.PublishProjectAsync(Path.Combine("samples", "StartupPackage", "StartupPackage.csproj"),
            "aot-startup-package", "StartupPackage", ownArtifacts: true);
        Assert.True(published.ExitCode == 0, published.Log);
        Assert.Empty(published.TrimOrAotWarnings);

        foreach (var transport in new[] { "pipe", "shm" })
        {
            var (exit, output) = await RunAsync(published.BinaryPath, "--transport", transport);
            Assert.True(exit == 0, output);
            Assert.Contains("worker: 100%", output);
            Assert.Contains("ui: 100% received (24.0 MiB of 24.0 MiB)", output);
            Assert.Contains($"package 24 MiB over {transport}://", output);
            Assert.Contains("startup-package: SHA-256 matches: OK", output);
        }
    }

    private static async Task<(int Exit, string Output)> RunAsync(string program, params string[] args)
    {
        var info = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) info.ArgumentList.Add(a);
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
        return (process.ExitCode, await stdout + await stderr);
    }
}
