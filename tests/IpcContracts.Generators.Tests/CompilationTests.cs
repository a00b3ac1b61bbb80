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
}
