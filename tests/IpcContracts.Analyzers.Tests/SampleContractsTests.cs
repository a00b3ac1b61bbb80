using IpcContracts.Analyzers.Tests.Infrastructure;
using Microsoft.CodeAnalysis;

namespace IpcContracts.Analyzers.Tests;

/// <summary>The repository's own contracts and their users are clean: no IPC diagnostic at all.</summary>
public sealed class SampleContractsTests
{
    private static (string Path, string Text)[] Files(string relativeDirectory, string pattern = "*.cs") =>
        Directory.GetFiles(Path.Combine(TestCompilation.RepoRoot, relativeDirectory), pattern)
            .Where(p => !p.Contains("/obj/") && !p.Contains("/bin/"))
            .Select(p => (p, File.ReadAllText(p)))
            .ToArray();

    [Fact]
    public void Quickstart_contracts_and_the_quickstart_program_have_no_IPC_diagnostics()
    {
        var sources = Files("samples/Quickstart.Contracts").Concat(Files("samples/Quickstart"))
            .Append(("/implicit/GlobalUsings.cs", TestCompilation.ImplicitUsings)).ToArray();
        Assert.True(sources.Length > 3);
        var compilation = TestCompilation.Create(sources).WithOptions(TestCompilation.Options.WithOutputKind(OutputKind.ConsoleApplication));

        var diagnostics = AnalyzerRunner.Run(compilation);

        Assert.True(diagnostics.Count == 0, string.Join("\n", diagnostics));
        var errors = TestCompilation.RunGenerators(compilation, out _).GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        Assert.True(errors.Count == 0, "the samples should compile here too:\n" + string.Join("\n", errors));
    }

    [Fact]
    public void Test_contracts_have_no_IPC_diagnostics()
    {
        var sources = Files("tests/IpcContracts.TestContracts").Append(("/implicit/GlobalUsings.cs", TestCompilation.ImplicitUsings)).ToArray();

        var diagnostics = AnalyzerRunner.Run(sources);

        Assert.True(diagnostics.Count == 0, string.Join("\n", diagnostics));
    }
}
