using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Running;

namespace IpcContracts.Benchmarks.Micro;

/// <summary>
/// Entry point of the BenchmarkDotNet micro-benchmarks (<c>bdn</c> followed by BenchmarkDotNet's own arguments).
/// They run in this process (<c>--inProcess</c> is added): the default toolchain would generate and build a
/// project under bin/ that inherits this repository's Directory.Build.props (warnings as errors, central package
/// versions). Without a <c>--job</c> argument the short job is used (a few minutes for everything);
/// <c>--job default</c> gives BenchmarkDotNet's full statistics.
/// </summary>
internal static class MicroBenchmarks
{
    public static int Run(string[] args)
    {
        var all = new List<string>(args);
        if (!all.Contains("--inProcess") && !all.Contains("-i")) all.Add("--inProcess");
        if (!all.Contains("--job") && !all.Contains("-j")) all.AddRange(["--job", "short"]);
        var config = DefaultConfig.Instance
            .AddDiagnoser(MemoryDiagnoser.Default)
            .WithArtifactsPath(Path.Combine(AppContext.BaseDirectory, "BenchmarkDotNet.Artifacts"));
        BenchmarkSwitcher.FromAssembly(typeof(MicroBenchmarks).Assembly).Run([.. all], config);
        return 0;
    }
}
