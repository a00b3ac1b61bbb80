using IpcContracts.Analyzers.Tests.Infrastructure;
using static IpcContracts.Analyzers.Tests.ContractShapeTests;

namespace IpcContracts.Analyzers.Tests;

/// <summary>IPC0015 and IPC0016: contract wire IDs and aliases are unique in the compilation and against referenced contracts.</summary>
public sealed class WireIdTests
{
    [Fact]
    public void IPC0015_same_alias_and_same_explicit_id()
    {
        AnalyzerRunner.Verify(Prelude + """
            [RequestContract("inventory")] public interface {|IPC0015:IInventory|} { Task PingAsync(); }
            [EventContract("inventory")] public interface {|IPC0015:IInventoryEvents|} { void Changed(); }
            [RequestContract(Id = 42)] public interface {|IPC0015:IFirst|} { Task PingAsync(); }
            [RequestContract(Id = 42)] public interface {|IPC0015:ISecond|} { Task PingAsync(); }
            """);
    }

    [Fact]
    public void IPC0015_same_alias_with_different_explicit_ids()
    {
        // Distinct IDs, but untyped calls find contracts by alias.
        AnalyzerRunner.Verify(Prelude + """
            [RequestContract("tools", Id = 1)] public interface {|IPC0015:IFirst|} { Task PingAsync(); }
            [RequestContract("tools", Id = 2)] public interface {|IPC0015:ISecond|} { Task PingAsync(); }
            """);
    }

    [Fact]
    public void IPC0015_explicit_id_equal_to_another_contracts_hash()
    {
        uint hash = Fnv1aForTests.Hash32("Shop.IFirst");
        AnalyzerRunner.Verify(Prelude + $$"""
            [RequestContract] public interface {|IPC0015:IFirst|} { Task PingAsync(); }
            [RequestContract(Id = {{hash}})] public interface {|IPC0015:ISecond|} { Task PingAsync(); }
            """);
    }

    [Fact]
    public void IPC0015_near_miss_same_simple_name_in_two_namespaces()
    {
        // Default aliases are full names, so these do not collide.
        AnalyzerRunner.Verify("""
            using System.Threading.Tasks;
            using IpcContracts;
            namespace A { [RequestContract] public interface IInventory { Task PingAsync(); } }
            namespace B { [RequestContract] public interface IInventory { Task PingAsync(); } }
            """);
    }

    [Fact]
    public void IPC0016_collision_with_a_referenced_contracts_assembly()
    {
        var referenced = TestCompilation.EmitReference(TestCompilation.Create(
            new[] { ("/other/Other.cs", Prelude.Replace("namespace Shop;", "namespace Other;") + """
                [RequestContract("inventory")] public interface IInventory { Task PingAsync(); }
                [RequestContract(Id = 7)] public interface ITools { Task PingAsync(); }
                """) },
            assemblyName: "Other.Contracts"));

        var (source, expected) = Markup.Parse(Prelude + """
            [RequestContract("inventory")] public interface {|IPC0016:IMyInventory|} { Task PingAsync(); }
            [RequestContract(Id = 7)] public interface {|IPC0016:IMyTools|} { Task PingAsync(); }
            [RequestContract("inventory.v2")] public interface INearMiss { Task PingAsync(); }
            """);
        var diagnostics = AnalyzerRunner.Run(new[] { (AnalyzerRunner.DefaultPath, source) }, extraReferences: new[] { referenced });

        Assert.Equal(expected.Select(e => (e.Id, e.Span)), diagnostics.Select(d => (d.Id, d.Location.SourceSpan)));
        Assert.Contains("Other.Contracts", diagnostics[0].GetMessage());
    }
}

/// <summary>FNV-1a 32 written from the spec, independent of the generator's copy the analyzers link.</summary>
internal static class Fnv1aForTests
{
    public static uint Hash32(string text)
    {
        uint h = 2166136261;
        foreach (var b in System.Text.Encoding.UTF8.GetBytes(text))
            h = unchecked((h ^ b) * 16777619);
        return h;
    }
}
