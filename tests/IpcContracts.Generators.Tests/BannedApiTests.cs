using IpcContracts.Generators.Tests.Infrastructure;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace IpcContracts.Generators.Tests;

/// <summary>
/// Generated code is held to the repository's BannedSymbols.txt (reflection, Reflection.Emit, reflection-based
/// JsonSerializer overloads): every symbol it binds to is checked by documentation ID, as the banned-API analyzer does.
/// </summary>
public sealed class BannedApiTests
{
    private static readonly HashSet<string> Banned = LoadBannedIds();

    [Theory]
    [MemberData(nameof(ContractShapes.Names), MemberType = typeof(ContractShapes))]
    public void Generated_code_binds_to_no_banned_symbol(string shape)
    {
        var result = GeneratorRunner.Run(new[] { ContractShapes.All[shape] });

        var uses = BannedUses(result.Output, tree => tree.FilePath.Contains(nameof(IpcContractsGenerator)));
        Assert.True(uses.Count == 0, string.Join("\n", uses));
    }

    [Fact]
    public void Checker_finds_banned_uses()
    {
        var compilation = TestCompilation.Create("""
            using System.Text.Json;
            class C
            {
                object? A() => System.Activator.CreateInstance(typeof(int));
                string B() => JsonSerializer.Serialize(1, (JsonSerializerOptions?)null);
                System.Type? T() => System.Type.GetType("X");
                object E() => typeof(System.Reflection.Emit.OpCodes);
            }
            """);

        var uses = BannedUses(compilation, _ => true);
        Assert.Contains(uses, u => u.Contains("T:System.Activator"));
        Assert.Contains(uses, u => u.EndsWith("M:System.Text.Json.JsonSerializer.Serialize``1(``0,System.Text.Json.JsonSerializerOptions)"));
        Assert.Contains(uses, u => u.EndsWith("M:System.Type.GetType(System.String)"));
        Assert.Contains(uses, u => u.Contains("N:System.Reflection.Emit"));
    }

    private static List<string> BannedUses(Compilation compilation, Func<SyntaxTree, bool> include)
    {
        var uses = new List<string>();
        foreach (var tree in compilation.SyntaxTrees.Where(include))
        {
            var model = compilation.GetSemanticModel(tree);
            foreach (var node in tree.GetRoot().DescendantNodes().OfType<ExpressionSyntax>())
            {
                if (model.GetSymbolInfo(node).Symbol is not { } symbol)
                    continue;
                foreach (var id in IdsOf(symbol).Where(Banned.Contains))
                    uses.Add($"{Path.GetFileName(tree.FilePath)}: '{node}' binds to banned {id}");
            }
        }
        return uses;
    }

    /// <summary>The symbol's own ID, its containing types' and its namespaces' (N: entries ban a whole namespace).</summary>
    private static IEnumerable<string> IdsOf(ISymbol symbol)
    {
        var original = symbol.OriginalDefinition;
        // Roslyn appends "~ReturnType" to some method IDs; BannedSymbols.txt lists them without it.
        if (DocumentationCommentId.CreateDeclarationId(original) is { } own)
            yield return own.Split('~')[0];
        for (var type = original as INamedTypeSymbol ?? original.ContainingType; type is not null; type = type.ContainingType)
            yield return DocumentationCommentId.CreateDeclarationId(type)!;
        for (var ns = original.ContainingNamespace; ns is { IsGlobalNamespace: false }; ns = ns.ContainingNamespace)
            yield return "N:" + ns.ToDisplayString();
    }

    private static HashSet<string> LoadBannedIds()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "BannedSymbols.txt")))
            dir = dir.Parent;
        Assert.NotNull(dir);
        return File.ReadAllLines(Path.Combine(dir!.FullName, "BannedSymbols.txt"))
            .Select(l => l.Split(';')[0].Trim())
            .Where(l => l.Length > 0 && !l.StartsWith('#'))
            .ToHashSet(StringComparer.Ordinal);
    }
}
