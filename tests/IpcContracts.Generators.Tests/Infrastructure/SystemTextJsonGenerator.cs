using System.Reflection;
using Microsoft.CodeAnalysis;

namespace IpcContracts.Generators.Tests.Infrastructure;

/// <summary>
/// System.Text.Json's own source generator, loaded from the SDK's reference pack, so test compilations get the
/// real <c>Context.Default</c> members generated code relies on.
/// </summary>
internal static class SystemTextJsonGenerator
{
    private static readonly Lazy<ISourceGenerator> s_generator = new(Load);

    public static ISourceGenerator Instance => s_generator.Value;

    private static ISourceGenerator Load()
    {
        // .../dotnet/shared/Microsoft.NETCore.App/<version>/ -> .../dotnet/
        var dotnetRoot = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(typeof(object).Assembly.Location)!, "..", "..", ".."));
        var version = Environment.Version;
        var packs = Path.Combine(dotnetRoot, "packs", "Microsoft.NETCore.App.Ref");
        var path = Directory.GetDirectories(packs, $"{version.Major}.*")
            .OrderByDescending(d => Version.TryParse(Path.GetFileName(d).Split('-')[0], out var v) ? v : new Version())
            .Select(d => Path.Combine(d, "analyzers", "dotnet", "cs", "System.Text.Json.SourceGeneration.dll"))
            .First(File.Exists);
        var assembly = Assembly.LoadFrom(path);
        var type = assembly.GetTypes().Single(t => typeof(IIncrementalGenerator).IsAssignableFrom(t) && !t.IsAbstract);
        return ((IIncrementalGenerator)Activator.CreateInstance(type)!).AsSourceGenerator();
    }
}
