using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace IpcContracts.Benchmarks.Harness;

/// <summary>
/// One run of a first-call client: wall time from <see cref="Process.Start()"/> to the line it prints after its first
/// answered request and to its exit, and what the client itself reported in that line: its CPU time and the number of
/// methods its JIT had compiled (0 under Native AOT).
/// </summary>
internal readonly record struct ClientRun(double AnswerMs, double ExitMs, double CpuMs, long JitMethods);

/// <summary>
/// The programs of the "process start to first answered request" rows: FirstCall (IpcContracts, run JIT from its build
/// output and published as Native AOT here) and SeedFirstCall (the seed-000 design, JIT only). Both are built with the
/// harness (project references without their assemblies), so their JIT builds are as current as the harness.
/// </summary>
internal static partial class FirstCallClients
{
    public const string Project = "IpcContracts.Benchmarks.FirstCall";
    public const string SeedProject = "IpcContracts.Benchmarks.SeedFirstCall";

    private static readonly TimeSpan s_runTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan s_publishTimeout = TimeSpan.FromMinutes(15);

    public static string RepoRoot
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "IpcContracts.sln"))) dir = dir.Parent;
            return dir?.FullName ?? throw new InvalidOperationException("Cannot find the repository root (IpcContracts.sln) above the harness.");
        }
    }

    /// <summary>
    /// The apphost of a benchmark program's build in the harness's own configuration:
    /// benchmarks/NAME/bin/CONFIGURATION/TFM/NAME, as the harness sits in benchmarks/IpcContracts.Benchmarks/bin/CONFIGURATION/TFM.
    /// </summary>
    public static string JitBuild(string project)
    {
        var mine = Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory);
        var tfm = Path.GetFileName(mine);
        var configuration = Path.GetFileName(Path.GetDirectoryName(mine)!);
        var path = Path.Combine(RepoRoot, "benchmarks", project, "bin", configuration, tfm, project + (OperatingSystem.IsWindows() ? ".exe" : ""));
        return File.Exists(path) ? path : throw new FileNotFoundException($"The JIT build of {project} is missing; build the harness (it builds {project}).", path);
    }

    /// <summary>
    /// Publishes FirstCall as Native AOT into artifacts/firstcall-aot, unless the binary there came from the same inputs
    /// (<see cref="InputStamp"/>): a rerun does not pay the publish again. Throws with the publish's last lines when it fails (no C compiler or linker, a missing
    /// ILCompiler package) or prints any trim/AOT warning.
    /// </summary>
    public static (string Binary, bool Reused) PublishAot()
    {
        var root = RepoRoot;
        var output = Path.Combine(root, "artifacts", "firstcall-aot");
        var binary = Path.Combine(output, Project + (OperatingSystem.IsWindows() ? ".exe" : ""));
        var stampFile = Path.Combine(output, ".inputs");
        var stamp = InputStamp(root);
        if (File.Exists(binary) && File.Exists(stampFile) && File.ReadAllText(stampFile) == stamp) return (binary, true);

        if (File.Exists(stampFile)) File.Delete(stampFile); // a failed publish must not leave an old stamp beside a new binary
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        // --disable-build-servers: no MSBuild node or compiler server outlives the harness.
        foreach (var a in new[] { "publish", Path.Combine(root, "benchmarks", Project, Project + ".csproj"), "-c", "Release",
                     "-r", RuntimeInformation.RuntimeIdentifier, "-o", output, "-nologo", "-v:minimal", "-clp:NoSummary", "--disable-build-servers" })
            info.ArgumentList.Add(a);
        using var process = Process.Start(info) ?? throw new InvalidOperationException("Could not start 'dotnet publish'.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(s_publishTimeout))
        {
            try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            throw new TimeoutException($"The Native AOT publish of {Project} did not finish within {s_publishTimeout.TotalMinutes:0} minutes; killed.");
        }
        var log = stdout.Result + stderr.Result;
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"The Native AOT publish of {Project} failed (exit {process.ExitCode}; Native AOT needs clang or gcc and " +
                                                $"the ILCompiler package); its last lines: {LastLines(log, 8)}");
        var warnings = TrimOrAotWarning().Matches(log).Select(m => m.Value).Distinct().ToList();
        if (warnings.Count > 0)
            throw new InvalidOperationException($"The Native AOT publish of {Project} printed {warnings.Count} trim/AOT warning(s): {string.Join(" | ", warnings)}");
        if (!File.Exists(binary)) throw new InvalidOperationException($"The Native AOT publish of {Project} succeeded but {binary} is missing.");
        File.WriteAllText(stampFile, stamp);
        return (binary, false);
    }

    /// <summary>Starts a client with its one argument (the server's address) and times it; throws unless it answered and exited 0.</summary>
    public static ClientRun Run(string path, string argument)
    {
        var info = new ProcessStartInfo(path) { RedirectStandardOutput = true, UseShellExecute = false };
        info.ArgumentList.Add(argument);
        var start = Stopwatch.GetTimestamp();
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {path}.");
        try
        {
            var read = process.StandardOutput.ReadLineAsync();
            if (!read.Wait(s_runTimeout)) throw new TimeoutException($"{Path.GetFileName(path)} printed nothing within {s_runTimeout.TotalSeconds:0} s.");
            var answered = Stopwatch.GetTimestamp();
            if (!process.WaitForExit(s_runTimeout)) throw new TimeoutException($"{Path.GetFileName(path)} did not exit within {s_runTimeout.TotalSeconds:0} s of its answer.");
            var exited = Stopwatch.GetTimestamp();
            var line = read.Result;
            if (process.ExitCode != 0 || line?.Split(' ') is not ["ANSWER", var cpu, var methods]
                || !double.TryParse(cpu, NumberStyles.Float, CultureInfo.InvariantCulture, out var cpuUs)
                || !long.TryParse(methods, NumberStyles.None, CultureInfo.InvariantCulture, out var jitMethods))
                throw new InvalidOperationException($"{Path.GetFileName(path)} {argument} exited {process.ExitCode} after printing '{line}', not an answer.");
            return new ClientRun(Ms(answered - start), Ms(exited - start), cpuUs / 1000, jitMethods);
        }
        catch
        {
            try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            throw;
        }
    }

    private static double Ms(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;

    /// <summary>
    /// SHA-256 over the content of every source and project file the AOT binary is built from (the client, the runtime,
    /// the generator and the code fixes it loads, the repository's build props, the banned-symbol list), plus the runtime
    /// version and RID. Sources, not built assemblies: the publish's own restore (with a RID) makes the next ordinary
    /// build recompile the runtime, and those assemblies then differ in bytes although nothing in them changed.
    /// </summary>
    private static string InputStamp(string root)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var files = new List<string>();
        foreach (var dir in new[] { Path.Combine("benchmarks", Project), Path.Combine("src", "IpcContracts"),
                     Path.Combine("generators", "IpcContracts.Generators"), Path.Combine("analyzers", "IpcContracts.CodeFixes") })
            files.AddRange(SourceFiles(Path.Combine(root, dir)));
        files.AddRange(new[] { "Directory.Build.props", "Directory.Build.targets", "Directory.Packages.props", "BannedSymbols.txt", "global.json" }
            .Select(f => Path.Combine(root, f)).Where(File.Exists));
        foreach (var file in files.Order(StringComparer.Ordinal))
        {
            hash.AppendData(Encoding.UTF8.GetBytes(Path.GetRelativePath(root, file) + "\n"));
            hash.AppendData(File.ReadAllBytes(file));
        }
        hash.AppendData(Encoding.UTF8.GetBytes(RuntimeInformation.FrameworkDescription + " " + RuntimeInformation.RuntimeIdentifier));
        return Convert.ToHexString(hash.GetHashAndReset());
    }

    private static IEnumerable<string> SourceFiles(string dir)
    {
        foreach (var file in Directory.EnumerateFiles(dir))
        {
            var ext = Path.GetExtension(file);
            if (ext is ".cs" or ".csproj" or ".props" or ".targets" or ".txt" or ".json" or ".resx" or ".md") yield return file;
        }
        foreach (var sub in Directory.EnumerateDirectories(dir))
        {
            var name = Path.GetFileName(sub);
            if (name is "bin" or "obj" || name.StartsWith('.')) continue;
            foreach (var file in SourceFiles(sub)) yield return file;
        }
    }

    private static string LastLines(string log, int count)
    {
        var lines = log.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return string.Join(" | ", lines.TakeLast(count));
    }

    [GeneratedRegex(@"(warning|error) IL[23]\d{3}[^\r\n]*")]
    private static partial Regex TrimOrAotWarning();
}
