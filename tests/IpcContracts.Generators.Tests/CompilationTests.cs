using System.Text.RegularExpressions;
using IpcContracts.Generators.Tests.Infrastructure;

namespace IpcContracts.Generators.Tests;

/// <summary>Generated code must build cleanly where users build it: nullable on, warnings as errors.</summary>
public sealed class CompilationTests
{
    [Theory]
    [MemberData(nameof(ContractShapes.Names), MemberType = typeof(ContractShapes))]
    public void Generated_code_compiles_without_errors_or_warnings(string shape)
    {
        var result = GeneratorRunner.Run(new[] { ContractShapes.All[shape] }, withSystemTextJson: true);

        Assert.All(result.Run.Results, r => Assert.Null(r.Exception));
        Assert.NotEmpty(result.Sources);
        var problems = result.Output.Problems().ToList();
        Assert.True(problems.Count == 0, TestCompilation.Describe(problems));
    }

    [Fact]
    public void All_shapes_compile_together_in_one_assembly()
    {
        // Shapes reuse names, so each moves into its own namespace; context classes get unique names as well
        // because System.Text.Json's generator names its files after the context's simple name.
        var sources = ContractShapes.All.Select(kv => Regex.Replace(
                kv.Value.Replace("namespace Shop", "namespace " + kv.Key + ".Shop").Replace("typeof(Shop.", "typeof(" + kv.Key + ".Shop."),
                @"\b(\w+Json)\b", kv.Key + "$1"))
            .ToArray();
        var result = GeneratorRunner.Run(sources, withSystemTextJson: true);

        Assert.All(result.Run.Results, r => Assert.Null(r.Exception));
        Assert.Empty(result.Run.Diagnostics);
        var problems = result.Output.Problems().ToList();
        Assert.True(problems.Count == 0, TestCompilation.Describe(problems));
    }

    [Fact]
    public void Obsolete_contracts_and_types_with_a_DiagnosticId_raise_no_warning_in_generated_code()
    {
        // [Obsolete(DiagnosticId = ...)] is reported under its own ID, which no fixed #pragma list can name: a project
        // with warnings as errors would fail on code it did not write. The user's own uses are still reported.
        const string source = """
            using System;
            using System.Text.Json.Serialization;
            using System.Threading.Tasks;
            using IpcContracts;

            namespace Shop;

            [Obsolete("use IStockV2", DiagnosticId = "SHOP001")]
            [RequestContract]
            public interface IStock
            {
                [Obsolete("use GetV2", DiagnosticId = "SHOP002")]
                Task<Level> GetAsync(Query query);
            }

            [Obsolete("old events", DiagnosticId = "SHOP004")]
            [EventContract]
            public interface IStockEvents
            {
                void Changed(Level level);
            }

            [Obsolete("use LevelV2", DiagnosticId = "SHOP003")]
            public sealed record Level(string Sku, int OnHand);

            public sealed record Query(string Sku);

            #pragma warning disable SHOP003
            [JsonSerializable(typeof(Level))]
            #pragma warning restore SHOP003
            [JsonSerializable(typeof(Query))]
            internal partial class ShopJson : JsonSerializerContext;
            """;
        var result = GeneratorRunner.Run(new[] { source }, withSystemTextJson: true);

        Assert.All(result.Run.Results, r => Assert.Null(r.Exception));
        var generatedTrees = result.Output.SyntaxTrees.Skip(1).ToHashSet();
        var inGenerated = result.Output.GetDiagnostics()
            .Where(d => d.Severity >= Microsoft.CodeAnalysis.DiagnosticSeverity.Warning && d.Location.SourceTree is { } t && generatedTrees.Contains(t) &&
                        !t.FilePath.Contains("System.Text.Json", StringComparison.Ordinal))
            .ToList();
        Assert.True(inGenerated.Count == 0, TestCompilation.Describe(inGenerated));
    }
}
