using System.Diagnostics;
using System.Text.RegularExpressions;
using IpcContracts.Analyzers.Tests.Infrastructure;
using Microsoft.CodeAnalysis;

namespace IpcContracts.Analyzers.Tests;

/// <summary>
/// tests/BrokenContracts is a contracts project with every IPC diagnostic at a marked line ("// expect: IPCxxxx" in
/// sources, "# expect next line: IPCxxxx" in contracts.shipped.txt). It is analyzed in-process and built with
/// `dotnet build`, and both must report exactly the marked IDs at the marked lines.
/// </summary>
public sealed class BrokenContractsTests
{
    private static readonly string Directory = Path.Combine(TestCompilation.RepoRoot, "tests", "BrokenContracts");

    private static readonly string[] Sources = System.IO.Directory.GetFiles(Directory, "*.cs");

    private static readonly string Shipped = Path.Combine(Directory, "contracts.shipped.txt");

    /// <summary>Defined for the in-process compilation only: code the compiler rejects (a build would run no analyzers).</summary>
    private const string InProcessSymbol = "IPC_ANALYZER_TEST";

    /// <summary>"file:line IPCxxxx" for each marker (lines 1-based).</summary>
    private static SortedSet<string> Expected(bool inProcess = true)
    {
        var expected = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var file in Sources.Append(Shipped))
        {
            var lines = File.ReadAllLines(file);
            bool skipping = false;
            for (int i = 0; i < lines.Length; i++)
            {
                if (lines[i].StartsWith("#if " + InProcessSymbol, StringComparison.Ordinal))
                    skipping = !inProcess;
                else if (lines[i].StartsWith("#endif", StringComparison.Ordinal))
                    skipping = false;
                if (skipping)
                    continue;
                var source = Regex.Match(lines[i], @"// expect: (?<ids>IPC\d{4}(, IPC\d{4})*)");
                var text = Regex.Match(lines[i], @"^# expect next line: (?<ids>IPC\d{4}(, IPC\d{4})*)");
                var match = source.Success ? source : text;
                if (!match.Success)
                    continue;
                int line = source.Success ? i + 1 : i + 2;
                foreach (var id in match.Groups["ids"].Value.Split(", "))
                    expected.Add($"{Path.GetFileName(file)}:{line} {id}");
            }
        }
        return expected;
    }

    [Fact]
    public void Every_diagnostic_has_a_marked_line()
    {
        var ids = Expected().Select(e => e.Split(' ')[1]).ToHashSet();

        var all = typeof(DiagnosticDescriptors).GetFields()
            .Where(f => f.FieldType == typeof(DiagnosticDescriptor))
            .Select(f => ((DiagnosticDescriptor)f.GetValue(null)!).Id);
        Assert.Equal(all.Order(), ids.Order());
    }

    [Fact]
    public void Analyzers_report_each_marked_diagnostic_at_its_line()
    {
        var sources = Sources.Select(p => (p, File.ReadAllText(p))).Append(("/implicit/GlobalUsings.cs", TestCompilation.ImplicitUsings));
        var testContracts = MetadataReference.CreateFromFile(typeof(IpcContracts.TestContracts.ICalculator).Assembly.Location);

        var compilation = TestCompilation.Create(sources, [testContracts], parseOptions: TestCompilation.ParseOptions.WithPreprocessorSymbols(InProcessSymbol));

        var diagnostics = AnalyzerRunner.Run(compilation, [(Shipped, File.ReadAllText(Shipped))]);

        var actual = new SortedSet<string>(diagnostics.Select(d =>
            $"{Path.GetFileName(d.Location.GetLineSpan().Path)}:{d.Location.GetLineSpan().StartLinePosition.Line + 1} {d.Id}"), StringComparer.Ordinal);
        Assert.Equal(Expected(), actual);
    }

    [Fact]
    public async Task Dotnet_build_reports_each_marked_diagnostic_at_its_line()
    {
        // References are already built (this test project references them all); building only this project keeps it quick
        // and leaves every other project's output alone while other test assemblies run.
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList =
            {
                "build", Path.Combine(Directory, "BrokenContracts.csproj"), "-c", TestCompilation.Configuration,
                "-p:BuildProjectReferences=false", "--disable-build-servers", "-nologo", "-clp:NoSummary", "-v:q",
            },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Directory,
        };
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await process.WaitForExitAsync(timeout.Token);
        string output = await stdout + await stderr;

        Assert.NotEqual(0, process.ExitCode); // broken by design
        var actual = new SortedSet<string>(StringComparer.Ordinal);
        foreach (Match m in Regex.Matches(output, @"(?<file>[^\s(]+)\((?<line>\d+),\d+\): (?:error|warning) (?<id>IPC\d{4}):"))
            actual.Add($"{Path.GetFileName(m.Groups["file"].Value)}:{m.Groups["line"].Value} {m.Groups["id"].Value}");
        var expected = Expected(inProcess: false);
        Assert.True(expected.SetEquals(actual), "Expected:\n" + string.Join("\n", expected) + "\nBuild output:\n" + output);
    }
}
