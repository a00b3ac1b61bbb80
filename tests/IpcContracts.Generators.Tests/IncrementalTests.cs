using System.Collections;
using System.Reflection;
using IpcContracts.Generators.Tests.Infrastructure;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace IpcContracts.Generators.Tests;

/// <summary>Edits that do not touch a contract must hit the cache at every step; edits to a contract must not.</summary>
public sealed class IncrementalTests
{
    private const string Helper = """
        namespace Shop;
        public class Calculator
        {
            public int Add(int a, int b) => a + b;
        }
        """;

    private static readonly string[] Sources = { ContractShapes.ExplicitAlias, ContractShapes.NamedJsonContexts.Replace("namespace Shop;", "namespace Tickets;").Replace("Shop.", "Tickets."), Helper };

    public static TheoryData<string> UnrelatedEdits => new() { "add a class in a new file", "edit a method body in another file", "edit a method body next to a contract", "add a comment to a contract file" };

    [Theory]
    [MemberData(nameof(UnrelatedEdits))]
    public void Unrelated_edit_reuses_every_step_and_changes_no_output(string edit)
    {
        var compilation = TestCompilation.Create(Sources);
        var driver = GeneratorRunner.CreateTrackingDriver().RunGenerators(compilation);
        var before = driver.GetRunResult();

        var edited = Edit(compilation, edit);
        var after = driver.RunGenerators(edited).GetRunResult();

        var steps = after.Results.Single().TrackedSteps;
        foreach (var name in new[] { TrackingNames.RequestContracts, TrackingNames.EventContracts, TrackingNames.DeclaredJsonContexts,
                     TrackingNames.NamedJsonContexts, TrackingNames.RuntimeReferenced, TrackingNames.AssemblyModel })
        {
            Assert.True(steps.ContainsKey(name), $"step {name} was not tracked");
            var reasons = steps[name].SelectMany(s => s.Outputs).Select(o => o.Reason).ToList();
            Assert.NotEmpty(reasons);
            Assert.All(reasons, r => Assert.True(r is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"{name}: {r} after '{edit}'"));
        }

        var outputs = after.Results.Single().TrackedOutputSteps.SelectMany(kv => kv.Value).SelectMany(s => s.Outputs);
        Assert.All(outputs, o => Assert.True(o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"output {o.Reason} after '{edit}'"));
        Assert.Equal(Texts(before), Texts(after));
    }

    [Fact]
    public void Editing_a_contract_regenerates_its_file()
    {
        var compilation = TestCompilation.Create(Sources);
        var driver = GeneratorRunner.CreateTrackingDriver().RunGenerators(compilation);
        var before = Texts(driver.GetRunResult());

        var contractTree = compilation.SyntaxTrees.First();
        var newText = contractTree.ToString().Replace(
            "Task ReserveAsync(Reservation reservation, CancellationToken ct = default);",
            "Task ReserveAsync(Reservation reservation, CancellationToken ct = default);\n    Task<int> CountAsync(string sku);");
        var after = driver.RunGenerators(compilation.ReplaceSyntaxTree(contractTree, contractTree.WithChangedText(Microsoft.CodeAnalysis.Text.SourceText.From(newText)))).GetRunResult();

        var reasons = after.Results.Single().TrackedSteps[TrackingNames.RequestContracts].SelectMany(s => s.Outputs).Select(o => o.Reason);
        Assert.Contains(IncrementalStepRunReason.Modified, reasons);
        var afterTexts = Texts(after);
        Assert.NotEqual(before["Shop.IInventory.IpcContract.g.cs"], afterTexts["Shop.IInventory.IpcContract.g.cs"]);
        Assert.Contains("Method_CountAsync", afterTexts["Shop.IInventory.IpcContract.g.cs"]);
        Assert.Equal(before["Shop.IInventoryEvents.IpcContract.g.cs"], afterTexts["Shop.IInventoryEvents.IpcContract.g.cs"]);
    }

    [Fact]
    public void Pipeline_models_hold_no_symbols_syntax_or_compilations()
    {
        var driver = GeneratorRunner.CreateTrackingDriver().RunGenerators(TestCompilation.Create(Sources));
        var steps = driver.GetRunResult().Results.Single().TrackedSteps;

        foreach (var name in TrackingNames.All)
        {
            foreach (var output in steps[name].SelectMany(s => s.Outputs))
                AssertPure(output.Value, name, new HashSet<object>(ReferenceEqualityComparer.Instance));
        }
    }

    /// <summary>Walks a model graph: Roslyn objects in a model would pin compilations in memory and defeat caching.</summary>
    private static void AssertPure(object? value, string path, HashSet<object> seen)
    {
        if (value is null || value is string || value.GetType().IsPrimitive || value.GetType().IsEnum)
            return;
        Assert.False(value is ISymbol or SyntaxNode or Compilation or SemanticModel or Location or SyntaxTree,
            $"{path} holds a {value.GetType().Name}");
        if (!value.GetType().IsValueType && !seen.Add(value))
            return;
        if (value is IEnumerable items)
        {
            int i = 0;
            foreach (var item in items)
                AssertPure(item, $"{path}[{i++}]", seen);
        }
        foreach (var field in value.GetType().GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic))
        {
            if (field.FieldType.IsPointer || field.FieldType.IsByRefLike)
                continue;
            AssertPure(field.GetValue(value), $"{path}.{field.Name}", seen);
        }
    }

    private static Compilation Edit(CSharpCompilation compilation, string edit)
    {
        var helperTree = compilation.SyntaxTrees.Last();
        var contractTree = compilation.SyntaxTrees.First();
        switch (edit)
        {
            case "add a class in a new file":
                return compilation.AddSyntaxTrees(CSharpSyntaxTree.ParseText("namespace Shop; public class Added { public int X => 1; }", TestCompilation.ParseOptions));
            case "edit a method body in another file":
                return compilation.ReplaceSyntaxTree(helperTree, Replace(helperTree, "a + b", "b + a"));
            case "edit a method body next to a contract":
                var withHelper = Replace(contractTree, "public sealed record StockLevel", "public static class Util { public static int One() => 1; }\npublic sealed record StockLevel");
                var c = compilation.ReplaceSyntaxTree(contractTree, withHelper);
                // Measure the second edit (the body change) against a cache that already saw the helper.
                return c.ReplaceSyntaxTree(withHelper, Replace(withHelper, "=> 1;", "=> 2;"));
            default:
                return compilation.ReplaceSyntaxTree(contractTree, Replace(contractTree, "public interface IInventory", "// a comment\npublic interface IInventory"));
        }
    }

    private static SyntaxTree Replace(SyntaxTree tree, string from, string to)
    {
        var text = tree.ToString();
        Assert.Contains(from, text);
        return tree.WithChangedText(Microsoft.CodeAnalysis.Text.SourceText.From(text.Replace(from, to)));
    }

    private static Dictionary<string, string> Texts(GeneratorDriverRunResult result) =>
        result.Results.Single().GeneratedSources.ToDictionary(s => s.HintName, s => s.SourceText.ToString());
}
