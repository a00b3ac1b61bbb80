using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace IpcContracts.Generators.Tests.Infrastructure;

/// <summary>Runs the IpcContracts generator (optionally with System.Text.Json's) over test sources.</summary>
internal static class GeneratorRunner
{
    public sealed record Result(GeneratorDriverRunResult Run, Compilation Output)
    {
        /// <summary>Sources produced by the IpcContracts generator only, ordered by hint name.</summary>
        public IReadOnlyList<GeneratedSourceResult> Sources =>
            Run.Results.Single(r => r.Generator.GetGeneratorType() == typeof(IpcContractsGenerator))
                .GeneratedSources.OrderBy(s => s.HintName, StringComparer.Ordinal).ToList();

        public IEnumerable<string> HintNames => Sources.Select(s => s.HintName);

        public string Text(string hintName) => Sources.Single(s => s.HintName == hintName).SourceText.ToString();

        /// <summary>All generated files as one document, each under a header naming its hint name.</summary>
        public string Combined() => Concat(Sources);

        /// <summary>The given generated files as one document, each under a header naming its hint name.</summary>
        public static string Concat(IEnumerable<GeneratedSourceResult> sources) =>
            string.Concat(sources.Select(s => $"//----- {s.HintName} -----\n{s.SourceText}"));
    }

    public static Result Run(string[] sources, bool withSystemTextJson = false) => Run(TestCompilation.Create(sources), withSystemTextJson);

    /// <param name="parseOptions">How generated files are parsed; defaults to <see cref="TestCompilation.ParseOptions"/>.</param>
    public static Result Run(Compilation compilation, bool withSystemTextJson = false, CSharpParseOptions? parseOptions = null)
    {
        var generators = new List<ISourceGenerator> { new IpcContractsGenerator().AsSourceGenerator() };
        if (withSystemTextJson)
            generators.Add(SystemTextJsonGenerator.Instance);
        GeneratorDriver driver = CSharpGeneratorDriver.Create(generators, parseOptions: parseOptions ?? TestCompilation.ParseOptions);
        driver = driver.RunGeneratorsAndUpdateCompilation(compilation, out var output, out _);
        return new Result(driver.GetRunResult(), output);
    }

    public static GeneratorDriver CreateTrackingDriver() =>
        CSharpGeneratorDriver.Create(
            new[] { new IpcContractsGenerator().AsSourceGenerator() },
            parseOptions: TestCompilation.ParseOptions,
            driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));
}
