using System.Collections.Immutable;
using System.Reflection;
using IpcContracts.Generators;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace IpcContracts.Analyzers.Tests.Infrastructure;

/// <summary>Compilations shaped like a .NET 10 contracts project: nullable on, latest language, the runtime referenced.</summary>
internal static class TestCompilation
{
    public static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.Latest);

    public static readonly CSharpCompilationOptions Options = new(
        OutputKind.DynamicallyLinkedLibrary,
        nullableContextOptions: NullableContextOptions.Enable,
        allowUnsafe: true);

    /// <summary>The running framework plus the IpcContracts runtime.</summary>
    public static readonly ImmutableArray<MetadataReference> References = LoadReferences();

    /// <summary>What ImplicitUsings gives a console or library project, for sources that rely on it (the samples).</summary>
    public const string ImplicitUsings = """
        global using System;
        global using System.Collections.Generic;
        global using System.IO;
        global using System.Linq;
        global using System.Net.Http;
        global using System.Threading;
        global using System.Threading.Tasks;
        """;

    public static string RepoRoot { get; } = typeof(TestCompilation).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "RepoRoot").Value!;

    public static string Configuration { get; } = typeof(TestCompilation).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "Configuration").Value!;

    public static CSharpCompilation Create(IEnumerable<(string Path, string Text)> sources, IEnumerable<MetadataReference>? extraReferences = null,
        string assemblyName = "Contracts", CSharpParseOptions? parseOptions = null) =>
        CSharpCompilation.Create(
            assemblyName,
            sources.Select(s => CSharpSyntaxTree.ParseText(s.Text, parseOptions ?? ParseOptions, path: s.Path)),
            extraReferences is null ? References : References.AddRange(extraReferences),
            Options);

    /// <summary>Runs the IpcContracts generator and System.Text.Json's, like a build does before analyzers run.</summary>
    public static Compilation RunGenerators(Compilation compilation, out GeneratorDriverRunResult result)
    {
        GeneratorDriver driver = CSharpGeneratorDriver.Create(
            new[] { new IpcContractsGenerator().AsSourceGenerator(), SystemTextJsonGenerator.Instance },
            parseOptions: ParseOptions);
        driver = driver.RunGeneratorsAndUpdateCompilation(compilation, out var output, out _);
        result = driver.GetRunResult();
        return output;
    }

    /// <summary>A compilation emitted to memory and referenced as metadata (a referenced contracts assembly).</summary>
    public static MetadataReference EmitReference(Compilation compilation)
    {
        using var stream = new MemoryStream();
        var emit = compilation.Emit(stream);
        Assert.True(emit.Success, string.Join("\n", emit.Diagnostics));
        return MetadataReference.CreateFromImage(stream.ToArray());
    }

    private static ImmutableArray<MetadataReference> LoadReferences()
    {
        var paths = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Where(p => p.EndsWith(".dll", StringComparison.OrdinalIgnoreCase))
            .Where(p => !Path.GetFileName(p).StartsWith("IpcContracts.", StringComparison.Ordinal)) // analyzers, generator, tests
            .ToHashSet(StringComparer.Ordinal);
        paths.Add(typeof(RequestContractAttribute).Assembly.Location);
        paths.Add(typeof(IpcContracts.Nats.NatsTransport).Assembly.Location); // the quickstart opts the NATS transport in
        return paths.Select(p => (MetadataReference)MetadataReference.CreateFromFile(p)).ToImmutableArray();
    }

    /// <summary>Errors and warnings the compiler itself reports (not analyzers).</summary>
    public static IEnumerable<Diagnostic> Problems(this Compilation compilation) =>
        compilation.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning);
}

/// <summary>System.Text.Json's source generator from the SDK's reference pack, so contexts in test compilations compile.</summary>
internal static class SystemTextJsonGenerator
{
    private static readonly Lazy<ISourceGenerator> s_instance = new(Load);

    public static ISourceGenerator Instance => s_instance.Value;

    private static ISourceGenerator Load()
    {
        var dotnet = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(typeof(object).Assembly.Location)!, "..", "..", ".."));
        var packs = Path.Combine(dotnet, "packs", "Microsoft.NETCore.App.Ref");
        var file = Directory.GetDirectories(packs, Environment.Version.Major + ".*")
            .OrderByDescending(d => Version.TryParse(Path.GetFileName(d).Split('-')[0], out var v) ? v : new Version())
            .Select(d => Path.Combine(d, "analyzers", "dotnet", "cs", "System.Text.Json.SourceGeneration.dll"))
            .First(File.Exists);
        var type = Assembly.LoadFrom(file).GetTypes().Single(t => typeof(IIncrementalGenerator).IsAssignableFrom(t) && !t.IsAbstract);
        return ((IIncrementalGenerator)Activator.CreateInstance(type)!).AsSourceGenerator();
    }
}
