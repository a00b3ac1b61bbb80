using System.Runtime.CompilerServices;
using IpcContracts.Generators.Tests.Infrastructure;

namespace IpcContracts.Generators.Tests;

/// <summary>Pins the generated code for each supported contract shape (Snapshots/&lt;Test&gt;.verified.cs).</summary>
public sealed class SnapshotTests
{
    [Fact] public void ManyParameters() => Verify(ContractShapes.ManyParameters);
    [Fact] public void NoParameters() => Verify(ContractShapes.NoParameters);
    [Fact] public void CancellationTokens() => Verify(ContractShapes.CancellationTokens);
    [Fact] public void ValueTasks() => Verify(ContractShapes.ValueTasks);
    [Fact] public void Events() => Verify(ContractShapes.Events);
    [Fact] public void GenericDtos() => Verify(ContractShapes.GenericDtos);
    [Fact] public void NestedNamespaces() => Verify(ContractShapes.NestedNamespaces);
    [Fact] public void NestedInClass() => Verify(ContractShapes.NestedInClass);
    [Fact] public void Records() => Verify(ContractShapes.Records);
    [Fact] public void ExplicitAlias() => Verify(ContractShapes.ExplicitAlias);
    [Fact] public void ExplicitNumericId() => Verify(ContractShapes.ExplicitNumericId);
    [Fact] public void MethodAlias() => Verify(ContractShapes.MethodAlias);
    [Fact] public void SameSimpleName() => Verify(ContractShapes.SameSimpleName);
    [Fact] public void KeywordAndParamsParameters() => Verify(ContractShapes.KeywordAndParamsParameters);
    [Fact] public void InheritedMethods() => Verify(ContractShapes.InheritedMethods);
    [Fact] public void NamedJsonContexts() => Verify(ContractShapes.NamedJsonContexts);
    [Fact] public void ObsoleteAndGlobalNamespace() => Verify(ContractShapes.ObsoleteAndGlobalNamespace);

    private static void Verify(string source, [CallerMemberName] string testName = "")
    {
        var result = GeneratorRunner.Run(new[] { source });
        Assert.Null(result.Run.Results.Single().Exception);
        Snapshot.Verify(result.Combined(), testName);
    }
}
