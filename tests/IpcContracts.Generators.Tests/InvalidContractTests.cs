using IpcContracts.Generators.Tests.Infrastructure;

namespace IpcContracts.Generators.Tests;

/// <summary>
/// Invalid contracts are skipped silently (the analyzers report them): no exception, no diagnostic, no output
/// for that contract, and every valid contract next to it is still generated.
/// </summary>
public sealed class InvalidContractTests
{
    private const string Valid = """
        namespace Shop;
        [IpcContracts.RequestContract]
        public interface IGood { System.Threading.Tasks.Task<int> CountAsync(string sku); }
        """;

    public static TheoryData<string, string> Cases => new()
    {
        { "request returns int", Request("int Get();") },
        { "request returns void", Request("void Fire();") },
        { "request returns Task<IAsyncEnumerable>", Request("Task<IAsyncEnumerable<int>> Stream();") },
        { "request returns ValueTask<IAsyncEnumerable>", Request("ValueTask<IAsyncEnumerable<int>> Stream();") },
        { "request returns IAsyncEnumerator", Request("IAsyncEnumerator<int> Stream();") },
        { "event returns IAsyncEnumerable", Event("IAsyncEnumerable<int> Changed();") },
        { "stream of delegates", Request("IAsyncEnumerable<Action> Stream();") },
        { "stream of streams", Request("IAsyncEnumerable<IAsyncEnumerable<int>> Stream();") },
        { "stream of an unresolved type", Request("IAsyncEnumerable<Missing> Stream();") },
        { "two stream parameters", Request("Task M(IAsyncEnumerable<int> a, IAsyncEnumerable<string> b);") },
        { "two stream parameters with a stream result", Request("IAsyncEnumerable<int> M(IAsyncEnumerable<int> a, IAsyncEnumerable<int> b);") },
        { "stream parameter of an event", Event("void Changed(IAsyncEnumerable<int> items);") },
        { "stream parameter of delegates", Request("Task M(IAsyncEnumerable<Action> items);") },
        { "stream parameter of streams", Request("Task M(IAsyncEnumerable<IAsyncEnumerable<int>> items);") },
        { "stream parameter of an unresolved type", Request("Task M(IAsyncEnumerable<Missing> items);") },
        { "stream parameter after the token", Request("Task M(CancellationToken ct, IAsyncEnumerable<int> items);") },
        { "ref stream parameter", Request("Task M(ref IAsyncEnumerable<int> items);") },
        { "stream inside a parameter", Request("Task M(List<IAsyncEnumerable<int>> items);") },
        { "enumerator parameter", Request("Task M(IAsyncEnumerator<int> items);") },
        { "stream parameter with Task<IAsyncEnumerable>", Request("Task<IAsyncEnumerable<int>> M(IAsyncEnumerable<int> items);") },
        { "two progress parameters", Request("Task M(IProgress<int> a, IProgress<string> b);") },
        { "progress parameter of an event", Event("void Changed(IProgress<int> progress);") },
        { "progress parameter with a stream result", Request("IAsyncEnumerable<int> M(IProgress<int> progress);") },
        { "progress parameter with Task<IAsyncEnumerable>", Request("Task<IAsyncEnumerable<int>> M(IProgress<int> progress);") },
        { "progress of delegates", Request("Task M(IProgress<Action> progress);") },
        { "progress of progress", Request("Task M(IProgress<IProgress<int>> progress);") },
        { "progress of an unresolved type", Request("Task M(IProgress<Missing> progress);") },
        { "progress after the token", Request("Task M(CancellationToken ct, IProgress<int> progress);") },
        { "ref progress parameter", Request("Task M(ref IProgress<int> progress);") },
        { "progress inside a parameter", Request("Task M(List<IProgress<int>> progress);") },
        { "progress result", Request("Task<IProgress<int>> M();") },
        { "stream inside a result", Request("Task<List<IAsyncEnumerable<int>>> M();") },
        { "event returns Task<T>", Event("Task<int> Changed();") },
        { "event returns ValueTask<T>", Event("ValueTask<int> Changed();") },
        { "event returns int", Event("int Changed();") },
        { "ref parameter", Request("Task M(ref int x);") },
        { "out parameter", Request("Task M(out int x);") },
        { "in parameter", Request("Task M(in int x);") },
        { "ref readonly parameter", Request("Task M(ref readonly int x);") },
        { "pointer parameter", Request("unsafe Task M(int* p);") },
        { "function pointer parameter", Request("unsafe Task M(delegate*<void> p);") },
        { "dynamic parameter", Request("Task M(dynamic d);") },
        { "dynamic result", Request("Task<dynamic> M();") },
        { "ref struct parameter", Request("Task M(Span<int> s);") },
        { "ref struct event parameter", Event("void M(ReadOnlySpan<byte> s);") },
        { "generic method", Request("Task M<T>(T x);") },
        { "generic interface", Prelude + "[RequestContract] public interface IBad<T> { Task M(T x); }" },
        { "contract nested in a generic class", Prelude + "public class Outer<T> { [RequestContract] public interface IBad { Task M(); } }" },
        { "property", Request("int Count { get; }") },
        { "event member", Request("event EventHandler Changed;") },
        { "indexer", Request("int this[int i] { get; }") },
        { "cancellation token not last", Request("Task M(CancellationToken ct, int x);") },
        { "two cancellation tokens", Request("Task M(CancellationToken a, CancellationToken b);") },
        { "private nested", Prelude + "public class Holder { [RequestContract] private interface IBad { Task M(); } }" },
        { "protected nested", Prelude + "public class Holder { [RequestContract] protected interface IBad { Task M(); } }" },
        { "private protected nested", Prelude + "public class Holder { [RequestContract] private protected interface IBad { Task M(); } }" },
        { "both attributes", Prelude + "[RequestContract, EventContract] public interface IBad { Task M(); }" },
        { "duplicate method ids (overloads without aliases)", Request("Task M(int a); Task M(string b);") },
        { "duplicate explicit method ids", Request("[ContractMethod(Id = 5)] Task A(); [ContractMethod(Id = 5)] Task B();") },
        { "static abstract member", Request("static abstract Task Create();") },
        { "default implementation", Request("Task M() => Task.CompletedTask;") },
        { "explicit base re-implementation", Prelude + "public interface IBase { Task M(); } [RequestContract] public interface IBad : IBase { Task IBase.M() => Task.CompletedTask; }" },
        { "base interface with a property", Prelude + "public interface IBase { int P { get; } } [RequestContract] public interface IBad : IBase { Task M(); }" },
        { "unresolved parameter type", Request("Task M(Missing x);") },
        { "unresolved result type", Request("Task<Missing> M();") },
        { "open generic result", Request("Task<List<>> M();") },
        { "zero call timeout", Request("[ContractMethod(TimeoutMilliseconds = 0)] Task M();") },
        { "negative call timeout", Request("[ContractMethod(TimeoutMilliseconds = -2)] Task<int> M();") },
        { "call timeout on an event", Event("[ContractMethod(TimeoutMilliseconds = 500)] void Changed(int x);") },
        { "vararg method", Request("Task M(__arglist);") },
        { "ref return", Request("ref Task M();") },
        { "attribute on a class", Prelude + "[RequestContract] public class IBad { public Task M() => Task.CompletedTask; }" },
        { "incomplete method", Request("Task<int> M(") },
        { "incomplete interface", Prelude + "[RequestContract] public interface IBad { Task<" },
    };

    private const string Prelude = """
        using System;
        using System.Collections.Generic;
        using System.Threading;
        using System.Threading.Tasks;
        using IpcContracts;
        namespace Bad;

        """;

    private static string Request(string members) => Prelude + "[RequestContract] public interface IBad { " + members + " }";

    private static string Event(string members) => Prelude + "[EventContract] public interface IBad { " + members + " }";

    [Theory]
    [MemberData(nameof(Cases))]
    public void Invalid_contract_is_skipped_and_valid_ones_are_still_generated(string shape, string source)
    {
        var result = GeneratorRunner.Run(new[] { Valid, source });

        var run = result.Run.Results.Single();
        Assert.Null(run.Exception);
        Assert.Empty(run.Diagnostics);
        Assert.Contains("Shop.IGood.IpcContract.g.cs", result.HintNames);
        Assert.DoesNotContain(result.HintNames, h => h.Contains("IBad"));
        Assert.DoesNotContain("IBad", result.Combined());
        _ = shape;
    }

    [Fact]
    public void Valid_generated_code_still_compiles_next_to_invalid_contracts()
    {
        // Each invalid case alone with the valid contract: the generated part must add no problems of its own.
        foreach (var row in Cases)
        {
            var source = (string)row[1];
            var before = TestCompilation.Create(Valid, source).Problems().Select(d => d.ToString()).ToHashSet();
            var after = GeneratorRunner.Run(new[] { Valid, source }).Output.Problems().Select(d => d.ToString());
            var added = after.Where(d => !before.Contains(d)).ToList();
            Assert.True(added.Count == 0, $"{row[0]}:\n{string.Join("\n", added)}");
        }
    }

    [Fact]
    public void Compilation_without_contracts_or_contexts_generates_nothing()
    {
        var result = GeneratorRunner.Run(new[] { "namespace Shop; public class Plain { }" });

        Assert.Empty(result.Sources);
    }
}
