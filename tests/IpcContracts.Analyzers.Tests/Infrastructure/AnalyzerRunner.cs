using System.Collections.Immutable;
using IpcContracts.Analyzers.Tests.Infrastructure;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;

namespace IpcContracts.Analyzers.Tests.Infrastructure;

/// <summary>An AdditionalFiles entry (contracts.shipped.txt and friends).</summary>
internal sealed class InMemoryAdditionalText(string path, string text) : AdditionalText
{
    private readonly SourceText _text = SourceText.From(text);

    public override string Path { get; } = path;

    public override SourceText GetText(CancellationToken cancellationToken = default) => _text;
}

/// <summary>Runs the IpcContracts analyzers the way a build does: generators first, then the analyzers over the result.</summary>
internal static class AnalyzerRunner
{
    public static readonly ImmutableArray<DiagnosticAnalyzer> Analyzers =
        ImmutableArray.Create<DiagnosticAnalyzer>(new ContractAnalyzer(), new UsageAnalyzer());

    public const string DefaultPath = "/src/Contracts.cs";

    public static IReadOnlyList<Diagnostic> Run(string source, params (string Path, string Text)[] additionalFiles) =>
        Run(new[] { (DefaultPath, source) }, additionalFiles);

    public static IReadOnlyList<Diagnostic> Run(IEnumerable<(string Path, string Text)> sources, IEnumerable<(string Path, string Text)>? additionalFiles = null,
        IEnumerable<MetadataReference>? extraReferences = null, bool runGenerators = true)
    {
        Compilation compilation = TestCompilation.Create(sources, extraReferences);
        return Run(compilation, additionalFiles, runGenerators);
    }

    public static IReadOnlyList<Diagnostic> Run(Compilation compilation, IEnumerable<(string Path, string Text)>? additionalFiles = null, bool runGenerators = true)
    {
        if (runGenerators)
            compilation = TestCompilation.RunGenerators(compilation, out _);
        var options = new AnalyzerOptions((additionalFiles ?? []).Select(f => (AdditionalText)new InMemoryAdditionalText(f.Path, f.Text)).ToImmutableArray());
        var withAnalyzers = compilation.WithAnalyzers(Analyzers, new CompilationWithAnalyzersOptions(options, onAnalyzerException: null,
            concurrentAnalysis: true, logAnalyzerExecutionTime: false, reportSuppressedDiagnostics: false));
        var all = withAnalyzers.GetAllDiagnosticsAsync().GetAwaiter().GetResult();
        var crashes = all.Where(d => d.Id is "AD0001" or "AD0002").ToList();
        Assert.True(crashes.Count == 0, string.Join("\n", crashes));
        return all.Where(d => d.Id.StartsWith("IPC", StringComparison.Ordinal))
            .OrderBy(d => d.Location.GetLineSpan().Path, StringComparer.Ordinal)
            .ThenBy(d => d.Location.SourceSpan.Start)
            .ThenBy(d => d.Id, StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>
    /// Runs the analyzers over <paramref name="markup"/> and asserts that the IPC diagnostics are exactly the marked
    /// ones: same IDs, same spans (so the same start and end line and column).
    /// </summary>
    public static IReadOnlyList<Diagnostic> Verify(string markup, params (string Path, string Text)[] additionalFiles) =>
        Verify(markup, allowedCompilerErrors: [], additionalFiles);

    /// <param name="allowedCompilerErrors">Compiler errors the case produces on purpose; any other one fails the test.</param>
    public static IReadOnlyList<Diagnostic> Verify(string markup, string[] allowedCompilerErrors, params (string Path, string Text)[] additionalFiles)
    {
        var (source, expected) = Markup.Parse(markup);
        var compilerErrors = TestCompilation.RunGenerators(TestCompilation.Create(new[] { (DefaultPath, source) }), out _)
            .GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error && !allowedCompilerErrors.Contains(d.Id)).ToList();
        Assert.True(compilerErrors.Count == 0, "The test source does not compile:\n" + string.Join("\n", compilerErrors));
        var diagnostics = Run(source, additionalFiles);
        var text = SourceText.From(source);
        var actual = diagnostics.Where(d => d.Location.IsInSource).Select(d => Markup.Describe(d.Id, text, d.Location.SourceSpan)).ToList();
        var wanted = expected.OrderBy(e => e.Span.Start).ThenBy(e => e.Id, StringComparer.Ordinal).Select(e => Markup.Describe(e.Id, text, e.Span)).ToList();
        Assert.True(wanted.SequenceEqual(actual),
            "Expected:\n  " + string.Join("\n  ", wanted) + "\nActual:\n  " + string.Join("\n  ", diagnostics.Select(d => d.ToString())));
        return diagnostics;
    }
}
