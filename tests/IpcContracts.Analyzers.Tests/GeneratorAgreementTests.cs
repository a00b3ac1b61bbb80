using System.Text.RegularExpressions;
using IpcContracts.Analyzers.Baseline;
using IpcContracts.Analyzers.Tests.Infrastructure;
using IpcContracts.Generators.Tests;
using Microsoft.CodeAnalysis;

namespace IpcContracts.Analyzers.Tests;

/// <summary>
/// The analyzers and the generator must agree: a contract the generator skips has an error that says why (from the
/// analyzers, or from the compiler for code that does not compile), a contract it generates has no IPC error, and the
/// IDs and signatures the analyzers record in the baseline are the ones the generated descriptors carry.
/// </summary>
public sealed class GeneratorAgreementTests
{
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

    /// <summary>Each shape with whether the generator should accept it.</summary>
    public static TheoryData<string, string, bool> Cases => new()
    {
        { "request returns int", Request("int Get();"), false },
        { "request returns void", Request("void Fire();"), false },
        { "request returns Task<IAsyncEnumerable>", Request("Task<IAsyncEnumerable<int>> Stream();"), false },
        { "request returns ValueTask<IAsyncEnumerable>", Request("ValueTask<IAsyncEnumerable<int>> Stream();"), false },
        { "request returns Task<IAsyncEnumerable> of delegates", Request("Task<IAsyncEnumerable<Action>> Stream();"), false },
        { "request returns IAsyncEnumerator", Request("IAsyncEnumerator<int> Stream();"), false },
        { "ref stream return", Request("ref IAsyncEnumerable<int> Stream();"), false },
        { "event returns IAsyncEnumerable", Event("IAsyncEnumerable<int> Changed();"), false },
        { "stream of delegates", Request("IAsyncEnumerable<Action> Stream();"), false },
        { "stream of streams", Request("IAsyncEnumerable<IAsyncEnumerable<int>> Stream();"), false },
        { "stream of ref structs", Request("IAsyncEnumerable<Span<int>> Stream();"), false },
        { "stream of an unresolved type", Request("IAsyncEnumerable<Missing> Stream();"), false },
        { "two stream parameters", Request("Task M(IAsyncEnumerable<int> a, IAsyncEnumerable<string> b);"), false },
        { "two stream parameters of a stream method", Request("IAsyncEnumerable<int> M(IAsyncEnumerable<int> a, IAsyncEnumerable<int> b);"), false },
        { "stream parameter of an event", Event("void Changed(IAsyncEnumerable<int> items);"), false },
        { "stream parameter of a Task event", Event("Task Changed(string id, IAsyncEnumerable<int> items);"), false },
        { "stream parameter with progress", Request("Task M(IAsyncEnumerable<int> items, IProgress<int> progress);"), true },
        { "progress before a stream parameter", Request("Task<int> M(IProgress<int> progress, IAsyncEnumerable<int> items);"), true },
        { "stream parameter with Task<IAsyncEnumerable>", Request("Task<IAsyncEnumerable<int>> M(IAsyncEnumerable<int> items);"), false },
        { "stream parameter of delegates", Request("Task M(IAsyncEnumerable<Action> items);"), false },
        { "stream parameter of streams", Request("Task M(IAsyncEnumerable<IAsyncEnumerable<int>> items);"), false },
        { "stream parameter of an unresolved type", Request("Task M(IAsyncEnumerable<Missing> items);"), false },
        { "stream parameter after the token", Request("Task M(CancellationToken ct, IAsyncEnumerable<int> items);"), false },
        { "ref stream parameter", Request("Task M(ref IAsyncEnumerable<int> items);"), false },
        { "stream inside a parameter", Request("Task M(List<IAsyncEnumerable<int>> items);"), false },
        { "enumerator parameter", Request("Task M(IAsyncEnumerator<int> items);"), false },
        { "two progress parameters", Request("Task M(IProgress<int> a, IProgress<string> b);"), false },
        { "progress parameter of an event", Event("void Changed(IProgress<int> progress);"), false },
        { "progress parameter of a Task event", Event("Task Changed(string id, IProgress<int> progress);"), false },
        { "progress parameter with a stream result", Request("IAsyncEnumerable<int> M(IProgress<int> progress);"), false },
        { "progress parameter with Task<IAsyncEnumerable>", Request("Task<IAsyncEnumerable<int>> M(IProgress<int> progress);"), false },
        { "progress of delegates", Request("Task M(IProgress<Action> progress);"), false },
        { "progress of progress", Request("Task M(IProgress<IProgress<int>> progress);"), false },
        { "progress of an unresolved type", Request("Task M(IProgress<Missing> progress);"), false },
        { "progress after the token", Request("Task M(CancellationToken ct, IProgress<int> progress);"), false },
        { "ref progress parameter", Request("Task M(ref IProgress<int> progress);"), false },
        { "progress inside a parameter", Request("Task M(List<IProgress<int>> progress);"), false },
        { "progress result", Request("Task<IProgress<int>> M();"), false },
        { "bare progress result", Request("IProgress<int> M();"), false },
        { "stream inside a result", Request("Task<List<IAsyncEnumerable<int>>> M();"), false },
        { "stream with the token first", Request("IAsyncEnumerable<int> M(CancellationToken ct, int x);"), false },
        { "event returns Task<T>", Event("Task<int> Changed();"), false },
        { "event returns ValueTask<T>", Event("ValueTask<int> Changed();"), false },
        { "event returns int", Event("int Changed();"), false },
        { "ref parameter", Request("Task M(ref int x);"), false },
        { "out parameter", Request("Task M(out int x);"), false },
        { "in parameter", Request("Task M(in int x);"), false },
        { "ref readonly parameter", Request("Task M(ref readonly int x);"), false },
        { "pointer parameter", Request("unsafe Task M(int* p);"), false },
        { "function pointer parameter", Request("unsafe Task M(delegate*<void> p);"), false },
        { "ref struct parameter", Request("Task M(Span<int> s);"), false },
        { "ref struct result", Request("Task<Span<int>> M();"), false },
        { "ref struct event parameter", Event("void M(ReadOnlySpan<byte> s);"), false },
        { "generic method", Request("Task M<T>(T x);"), false },
        { "generic interface", Prelude + "[RequestContract] public interface IBad<T> { Task M(T x); }", false },
        { "contract nested in a generic class", Prelude + "public class Outer<T> { [RequestContract] public interface IBad { Task M(); } }", false },
        { "property", Request("int Count { get; }"), false },
        { "event member", Request("event EventHandler Changed;"), false },
        { "indexer", Request("int this[int i] { get; }"), false },
        { "cancellation token not last", Request("Task M(CancellationToken ct, int x);"), false },
        { "two cancellation tokens", Request("Task M(CancellationToken a, CancellationToken b);"), false },
        { "private nested", Prelude + "public class Holder { [RequestContract] private interface IBad { Task M(); } }", false },
        { "protected nested", Prelude + "public class Holder { [RequestContract] protected interface IBad { Task M(); } }", false },
        { "private protected nested", Prelude + "public class Holder { [RequestContract] private protected interface IBad { Task M(); } }", false },
        { "nested in a private class", Prelude + "public class Holder { private class Inner { [RequestContract] public interface IBad { Task M(); } } }", false },
        { "both attributes", Prelude + "[RequestContract, EventContract] public interface IBad { Task M(); }", false },
        { "overloads without aliases", Request("Task M(int a); Task M(string b);"), false },
        { "duplicate explicit method ids", Request("[ContractMethod(Id = 5)] Task A(); [ContractMethod(Id = 5)] Task B();"), false },
        { "alias equal to another method's name", Request("Task A(); [ContractMethod(\"A\")] Task B();"), false },
        { "static abstract member", Request("static abstract Task Create();"), false },
        { "static virtual member", Request("static virtual Task Create() => Task.CompletedTask;"), false },
        { "default implementation", Request("Task M() => Task.CompletedTask;"), false },
        { "explicit base re-implementation", Prelude + "public interface IBase { Task M(); } [RequestContract] public interface IBad : IBase { Task IBase.M() => Task.CompletedTask; }", false },
        { "base interface with a property", Prelude + "public interface IBase { int P { get; } } [RequestContract] public interface IBad : IBase { Task M(); }", false },
        { "base interface with a bad method", Prelude + "public interface IBase { int Get(); } [RequestContract] public interface IBad : IBase { Task M(); }", false },
        { "private base interface", Prelude + "public partial class Holder { private interface IBase { Task M(); } [RequestContract] internal interface IBad : IBase { } }", false },
        { "unresolved parameter type", Request("Task M(Missing x);"), false },
        { "unresolved result type", Request("Task<Missing> M();"), false },
        { "open generic result", Request("Task<List<>> M();"), false },
        { "vararg method", Request("Task M(__arglist);"), false },
        { "ref return", Request("ref Task M();"), false },
        { "ref readonly return", Request("ref readonly Task M();"), false },
        { "attribute on a class", Prelude + "[RequestContract] public class IBad { public Task M() => Task.CompletedTask; }", false },
        { "incomplete method", Request("Task<int> M("), false },
        { "incomplete interface", Prelude + "[RequestContract] public interface IBad { Task<", false },
        { "zero call timeout", Request("[ContractMethod(TimeoutMilliseconds = 0)] Task M();"), false },
        { "negative call timeout", Request("[ContractMethod(TimeoutMilliseconds = -2)] Task<int> M();"), false },
        { "call timeout on an event", Event("[ContractMethod(TimeoutMilliseconds = 500)] void Changed(int x);"), false },
        { "infinite call timeout on a Task event", Event("[ContractMethod(TimeoutMilliseconds = Timeout.Infinite)] Task Changed(int x);"), false },
        { "inherited negative call timeout", Prelude + "public interface IBase { [ContractMethod(TimeoutMilliseconds = -9)] Task A(); } [RequestContract] public interface IBad : IBase { Task M(); }", false },
        { "private payload type", Prelude + "public class Holder { private sealed record Secret(int X); [RequestContract] public interface IBad { Task M(Secret s); } }", false },

        // Accepted shapes: each must be free of IPC errors.
        { "token with default", Request("Task<int> M(string sku, CancellationToken ct = default);"), true },
        { "only a token", Request("Task<int> M(CancellationToken ct);"), true },
        { "overloads with aliases", Request("Task M(int a); [ContractMethod(\"MByName\")] Task M(string b);"), true },
        { "overload with alias and explicit id", Request("Task M(int a); [ContractMethod(\"MByText\", Id = 9)] Task M(string b);"), true },
        { "static helper and constant", Request("const int V = 1; static int Twice(int x) => 2 * x; Task M();"), true },
        { "nested type", Request("public sealed class Names { } Task M();"), true },
        { "params array", Request("Task<int> Sum(params int[] values);"), true },
        { "event returning void, Task and ValueTask", Event("void A(int x); Task B(string y); ValueTask C();"), true },
        { "inherited methods", Prelude + "public interface IBase { Task A(); } [RequestContract] public interface IBad : IBase { Task<int> B(); }", true },
        { "protected internal nested", Prelude + "public class Holder { [RequestContract] protected internal interface IBad { Task M(); } }", true },
        { "object result (warned, not skipped)", Request("Task<object> M();"), true },
        { "nullable annotations", Request("Task<string?> M(string? a, int? b);"), true },
        { "tuple payload", Request("Task<(int A, string B)> M((int, int) pair);"), true },
        { "stream without arguments", Request("IAsyncEnumerable<int> Stream();"), true },
        { "stream with arguments and a token", Request("IAsyncEnumerable<string?> Stream(string prefix, int? limit, CancellationToken ct = default);"), true },
        { "stream with an [EnumeratorCancellation] token", Request("IAsyncEnumerable<int> Stream([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct);"), true },
        { "stream of lists next to a single value", Request("IAsyncEnumerable<List<int>> Batches(); Task<List<int>> All();"), true },
        { "progress as the only parameter", Request("Task M(IProgress<int> progress);"), true },
        { "progress with a result, arguments and a token", Request("Task<string?> M(string a, IProgress<int?>? progress, int b, CancellationToken ct = default);"), true },
        { "progress first with a token", Request("ValueTask M(IProgress<string> progress, CancellationToken ct);"), true },
        { "progress last after one argument", Request("ValueTask<int> M(string a, IProgress<List<int>> @fixed);"), true },
        { "inherited progress method", Prelude + "public interface IBase { Task Run(IProgress<int> progress); } [RequestContract] public interface IBad : IBase { Task M(); }", true },
        { "stream parameter as the only parameter", Request("Task M(IAsyncEnumerable<int> items);"), true },
        { "stream parameter with a result, arguments and a token", Request("Task<string?> M(string a, IAsyncEnumerable<int?>? items, int b, CancellationToken ct = default);"), true },
        { "stream parameter of a stream method", Request("IAsyncEnumerable<int> M(IAsyncEnumerable<int> items);"), true },
        { "stream parameter first with a token", Request("ValueTask M(IAsyncEnumerable<string> items, CancellationToken ct);"), true },
        { "stream parameter last after one argument", Request("ValueTask<int> M(string a, IAsyncEnumerable<List<int>> @fixed);"), true },
        { "inherited stream parameter method", Prelude + "public interface IBase { Task Push(IAsyncEnumerable<int> items); } [RequestContract] public interface IBad : IBase { Task M(); }", true },
        { "positive call timeout", Request("[ContractMethod(TimeoutMilliseconds = 120_000)] Task<int> M(CancellationToken ct = default);"), true },
        { "infinite call timeout with an alias and an id", Request("[ContractMethod(\"poll\", Id = 3, TimeoutMilliseconds = Timeout.Infinite)] Task<string?> Poll();"), true },
        { "call timeout on a stream and on a progress method", Request("[ContractMethod(TimeoutMilliseconds = 50)] IAsyncEnumerable<int> S(); [ContractMethod(TimeoutMilliseconds = int.MaxValue)] Task P(IProgress<int> p);"), true },
        { "event method with an alias and no timeout", Event("[ContractMethod(\"changed\")] void Changed(int x);"), true },
        { "inherited stream method", Prelude + "public interface IBase { IAsyncEnumerable<int> Ticks(); } [RequestContract] public interface IBad : IBase { Task M(); }", true },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Generator_skips_exactly_what_has_an_error(string shape, string source, bool accepted)
    {
        var compilation = TestCompilation.Create(new[] { ("/src/Bad.cs", source) });
        var output = TestCompilation.RunGenerators(compilation, out var run);
        bool generated = run.Results.SelectMany(r => r.GeneratedSources).Any(s => s.HintName.Contains("IBad.IpcContract.g.cs"));
        var analyzerErrors = AnalyzerRunner.Run(compilation).Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        var compilerErrors = compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();

        Assert.True(accepted == generated, $"{shape}: the generator {(generated ? "generated" : "skipped")} it");
        if (generated)
        {
            Assert.True(analyzerErrors.Count == 0, $"{shape}: generated, yet the analyzers report\n{string.Join("\n", analyzerErrors)}");
            Assert.True(output.GetDiagnostics().All(d => d.Severity != DiagnosticSeverity.Error), $"{shape}: generated code does not compile");
        }
        else
        {
            Assert.True(analyzerErrors.Count > 0 || compilerErrors.Count > 0, $"{shape}: skipped by the generator without any error saying why");
        }
    }

    [Theory]
    [MemberData(nameof(ContractShapes.Names), MemberType = typeof(ContractShapes))]
    public void Generator_shapes_have_no_IPC_diagnostics(string shape)
    {
        var diagnostics = AnalyzerRunner.Run(ContractShapes.All[shape]);

        Assert.True(diagnostics.Count == 0, string.Join("\n", diagnostics));
    }

    [Theory]
    [MemberData(nameof(ContractShapes.Names), MemberType = typeof(ContractShapes))]
    public void Baseline_lines_carry_the_generated_ids_aliases_and_signatures(string shape)
    {
        var compilation = TestCompilation.Create(new[] { ("/src/Shape.cs", ContractShapes.All[shape]) });
        TestCompilation.RunGenerators(compilation, out var run);
        var generated = string.Concat(run.Results.SelectMany(r => r.GeneratedSources).Where(s => s.HintName.EndsWith(".IpcContract.g.cs")).Select(s => s.SourceText.ToString()));

        var expected = new HashSet<string>();
        foreach (Match contract in Regex.Matches(generated, @": base\(0x(?<id>[0-9A-F]{8})u, ""(?<alias>(?:[^""\\]|\\.)*)"", global::IpcContracts\.ContractKind\.(?<kind>\w+)"))
            expected.Add($"0x{contract.Groups["id"].Value} {contract.Groups["kind"].Value.ToLowerInvariant()} \"{Regex.Unescape(contract.Groups["alias"].Value)}\"");
        var methods = Regex.Matches(generated, @"MethodDescriptor Method_\w+ = new\(0x(?<id>[0-9A-F]{8})u, ""(?<alias>(?:[^""\\]|\\.)*)"", 0x(?<fp>[0-9A-F]{16})UL, ""(?<sig>(?:[^""\\]|\\.)*)""\)");
        foreach (Match method in methods)
        {
            string sig = Regex.Unescape(method.Groups["sig"].Value);
            Assert.Equal(Convert.ToUInt64(method.Groups["fp"].Value, 16), Fnv1a64(sig));
            expected.Add($"{method.Groups["id"].Value}|\"{Regex.Unescape(method.Groups["alias"].Value)}\" {sig}");
        }
        Assert.NotEmpty(methods);

        var recorded = AnalyzerRunner.Run(compilation, new[] { ("/src/contracts.shipped.txt", "") })
            .Where(d => d.Id == "IPC0022")
            .SelectMany(d => d.Properties["BaselineLines"]!.Split('\n'))
            .Select(line => BaselineFormat.Parse(line, 0, out _)!)
            .Select(e => e.Key.IsMethod
                ? $"{e.Key.MethodId:X8}|{BaselineFormat.Quote(e.Alias!)} {e.Signature}"
                : $"0x{e.Key.ContractId:X8} {e.Kind} {BaselineFormat.Quote(e.Alias!)}")
            .ToHashSet();

        Assert.Equal(expected.Order(), recorded.Order());
    }

    private static ulong Fnv1a64(string text)
    {
        ulong h = 14695981039346656037;
        foreach (var b in System.Text.Encoding.UTF8.GetBytes(text))
            h = unchecked((h ^ b) * 1099511628211);
        return h;
    }
}
