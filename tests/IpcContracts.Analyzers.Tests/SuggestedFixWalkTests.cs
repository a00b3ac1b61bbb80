using System.Reflection;
using System.Runtime.Loader;
using IpcContracts.Analyzers.Tests.Infrastructure;
using IpcContracts.CodeFixes;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;

namespace IpcContracts.Analyzers.Tests;

/// <summary>
/// No diagnostic may lead to a build that is clean but fails at run time. Each case starts from a contract mistake,
/// follows what the diagnostics offer (every code fix, applied one at a time until none is offered; where a message
/// names a concrete change instead, that change), then builds with both generators, loads the assembly and makes the
/// call over inproc://. Every fixable diagnostic ID appears in at least one case (checked below).
/// </summary>
public sealed class SuggestedFixWalkTests
{
    private static readonly IReadOnlyList<CodeFixProvider> Providers = typeof(AddToBaselineCodeFix).Assembly.GetTypes()
        .Where(t => typeof(CodeFixProvider).IsAssignableFrom(t) && !t.IsAbstract)
        .Select(t => (CodeFixProvider)Activator.CreateInstance(t)!)
        .ToList();

    private const string Usings = """
        using System;
        using System.Collections.Generic;
        using System.Text.Json.Serialization;
        using System.Threading;
        using System.Threading.Tasks;
        using IpcContracts;

        """;

    /// <summary>A contract mistake, the message's own suggestion where it has no code fix, and the call that must work after.</summary>
    /// <param name="Expected">Diagnostic IDs the broken contract must report before anything is changed.</param>
    /// <param name="Suggested">A change the message names (old text, new text, words the message must contain), applied by hand.</param>
    /// <param name="Program">The implementation and a Runner.RunAsync() that makes the calls over inproc:// and returns what it saw.</param>
    public sealed record Case(string Name, string[] Expected, string Contract, string Program, string Result,
        (string Old, string New, string MessageSays)? Suggested = null, bool WithBaseline = false)
    {
        public override string ToString() => Name;
    }

    private static string Serve(string contract, string impl, string calls) => $$"""
        public static class Runner
        {
            public static async Task<string> RunAsync()
            {
                string endpoint = "inproc://walk-" + Guid.NewGuid().ToString("N");
                await using var server = await IpcServer.StartAsync(endpoint, s => s.Handle<{{contract}}>(new {{impl}}()));
                await using var client = await IpcClient.ConnectAsync(endpoint);
                var proxy = client.Proxy<{{contract}}>();
                {{calls}}
            }
        }
        """;

    public static TheoryData<Case> Cases => new()
    {
        new Case("IPC0005 value wrapped in Task<T>", ["IPC0005"],
            "[RequestContract] public interface ICounter { int Count(string sku); }",
            "public sealed class Counter : ICounter { public Task<int> Count(string sku) => Task.FromResult(sku.Length); }" +
            Serve("ICounter", "Counter", "return (await proxy.Count(\"A-100\")).ToString();"),
            "5"),

        new Case("IPC0005 void becomes Task, ref Task loses ref", ["IPC0005", "IPC0005"],
            "[RequestContract] public interface IReset { void Reset(string why); ref Task Ping(); }",
            "public sealed class ResetService : IReset { public static string Last = \"\"; public Task Reset(string why) { Last = why; return Task.CompletedTask; } public Task Ping() => Task.CompletedTask; }" +
            Serve("IReset", "ResetService", "await proxy.Reset(\"stale\"); await proxy.Ping(); return ResetService.Last;"),
            "stale"),

        new Case("IPC0006 event returns void", ["IPC0006"],
            "[EventContract] public interface IStock { Task<int> Changed(string sku); }",
            """
            public sealed class Listener : IStock
            {
                public readonly TaskCompletionSource<string> Seen = new(TaskCreationOptions.RunContinuationsAsynchronously);
                public void Changed(string sku) => Seen.TrySetResult(sku);
            }
            public static class Runner
            {
                public static async Task<string> RunAsync()
                {
                    string endpoint = "inproc://walk-" + Guid.NewGuid().ToString("N");
                    await using var server = await IpcServer.StartAsync(endpoint);
                    await using var client = await IpcClient.ConnectAsync(endpoint);
                    var listener = new Listener();
                    using var subscription = client.Subscribe<IStock>(listener);
                    // The subscription reaches the server asynchronously: publish until it is seen, for at most 10 s.
                    for (int i = 0; i < 500 && !listener.Seen.Task.IsCompleted; i++)
                    {
                        server.Publisher<IStock>().Changed("A-1");
                        await Task.WhenAny(listener.Seen.Task, Task.Delay(20));
                    }
                    return listener.Seen.Task.IsCompleted ? await listener.Seen.Task : "never delivered";
                }
            }
            """,
            "A-1"),

        new Case("IPC0007 by-ref parameter passed by value", ["IPC0007"],
            "[RequestContract] public interface IMath { Task<int> Twice(ref int x); }",
            "public sealed class MathService : IMath { public Task<int> Twice(int x) => Task.FromResult(2 * x); }" +
            Serve("IMath", "MathService", "return (await proxy.Twice(21)).ToString();"),
            "42"),

        new Case("IPC0011 token moved last", ["IPC0011"],
            "[RequestContract] public interface IText { Task<int> Length(CancellationToken ct, string text); }",
            "public sealed class TextService : IText { public Task<int> Length(string text, CancellationToken ct) => Task.FromResult(text.Length); }" +
            Serve("IText", "TextService", "return (await proxy.Length(\"four\", CancellationToken.None)).ToString();"),
            "4"),

        new Case("IPC0013 overloads get aliases", ["IPC0013"],
            "[RequestContract] public interface IFinder { Task<string> Find(string sku); Task<string> Find(int id); }",
            "public sealed class Finder : IFinder { public Task<string> Find(string sku) => Task.FromResult(\"sku \" + sku); public Task<string> Find(int id) => Task.FromResult(\"id \" + id); }" +
            Serve("IFinder", "Finder", "return await proxy.Find(\"A\") + \", \" + await proxy.Find(7);"),
            "sku A, id 7"),

        new Case("IPC0017 payload type registered with a JsonSerializerContext", ["IPC0017", "IPC0017"],
            "[RequestContract] public interface ILevels { Task<Level> Get(Query query); } public sealed record Query(string Sku); public sealed record Level(string Sku, int OnHand);",
            "public sealed class Levels : ILevels { public Task<Level> Get(Query query) => Task.FromResult(new Level(query.Sku, 3)); }" +
            Serve("ILevels", "Levels", "var level = await proxy.Get(new Query(\"B-2\")); return level.Sku + \" \" + level.OnHand;"),
            "B-2 3"),

        new Case("IPC0022 contract recorded in the baseline", ["IPC0022"],
            "[RequestContract(\"walk.echo\")] public interface IEcho { Task<string> Echo(string text); }",
            "public sealed class EchoService : IEcho { public Task<string> Echo(string text) => Task.FromResult(text); }" +
            Serve("IEcho", "EchoService", "return await proxy.Echo(\"hello\");"),
            "hello", WithBaseline: true),

        // Messages without a code fix that name a concrete change: the change as the message words it.
        new Case("IPC0010 property becomes a Get method", ["IPC0010"],
            "[RequestContract] public interface ISized { int Size { get; } }",
            "public sealed class Sized : ISized { public Task<int> GetSize() => Task.FromResult(12); }" +
            Serve("ISized", "Sized", "return (await proxy.GetSize()).ToString();"),
            "12", Suggested: ("int Size { get; }", "Task<int> GetSize();", "use Get/Set methods instead of properties")),

        new Case("IPC0008 span becomes a serializable type", ["IPC0008"],
            "[RequestContract] public interface IBlob { Task<int> Send(Span<byte> data); }",
            "public sealed class Blob : IBlob { public Task<int> Send(byte[] data) => Task.FromResult(data.Length); }" +
            Serve("IBlob", "Blob", "return (await proxy.Send(new byte[] { 1, 2, 3 })).ToString();"),
            "3", Suggested: ("Span<byte> data", "byte[] data", "use a serializable, accessible type")),

        // A derived stream is IPC0027, whose message names Stream itself: the walk ends at a byte stream parameter.
        new Case("IPC0027 MemoryStream parameter becomes a Stream", ["IPC0027"],
            "[RequestContract] public interface IUpload { Task<long> Size(System.IO.MemoryStream data); }",
            """
            public sealed class Upload : IUpload
            {
                public async Task<long> Size(System.IO.Stream data)
                {
                    var copy = new System.IO.MemoryStream();
                    await data.CopyToAsync(copy);
                    return copy.Length;
                }
            }
            """ +
            Serve("IUpload", "Upload", "return (await proxy.Size(new System.IO.MemoryStream(new byte[100_000]))).ToString();"),
            "100000", Suggested: ("System.IO.MemoryStream data", "System.IO.Stream data", "declare Stream itself as the request method's own parameter")),

        // A second binary parameter moves into a DTO, as the message says; the IPC0017 fix then registers the DTO.
        new Case("IPC0031 second byte[] moves into a DTO", ["IPC0031"],
            "[RequestContract] public interface ICompare { Task<int> Diff(byte[] left, byte[] right); }",
            "public sealed class Compare : ICompare { public Task<int> Diff(byte[] left, Side right) => Task.FromResult(left.Length - right.Bytes.Length); }" +
            Serve("ICompare", "Compare", "return (await proxy.Diff(new byte[] { 1, 2, 3, 4, 5 }, new Side(new byte[] { 9, 9 }))).ToString();"),
            "3", Suggested: ("byte[] right); }", "Side right); } public sealed record Side(byte[] Bytes);", "pass these bytes as a member of a DTO")),

        // A bare Stream result: the IPC0005 fix wraps it in Task<Stream>, which the caller reads as the bytes arrive.
        new Case("IPC0005 Stream result wrapped in Task<Stream>", ["IPC0005"],
            "[RequestContract] public interface IDownload { System.IO.Stream Open(int length); }",
            "public sealed class Download : IDownload { public Task<System.IO.Stream> Open(int length) => Task.FromResult<System.IO.Stream>(new System.IO.MemoryStream(new byte[length])); }" +
            Serve("IDownload", "Download", "await using var stream = await proxy.Open(200_000); var copy = new System.IO.MemoryStream(); await stream.CopyToAsync(copy); return copy.Length.ToString();"),
            "200000"),
    };

    /// <summary>Walks whose end state is a stream method: they build today, and make their call once the runtime streams.</summary>
    public static TheoryData<Case> StreamingCases => new()
    {
        new Case("IPC0028 stream unwrapped from its task", ["IPC0028"],
            "[RequestContract] public interface ICounter { Task<IAsyncEnumerable<int>> Numbers(int count, CancellationToken ct = default); }",
            """
            public sealed class Counter : ICounter
            {
                public async IAsyncEnumerable<int> Numbers(int count, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct = default)
                {
                    for (int i = 1; i <= count; i++)
                    {
                        await Task.Yield();
                        yield return i;
                    }
                }
            }
            """ +
            Serve("ICounter", "Counter", "var seen = new List<int>(); await foreach (var n in proxy.Numbers(3)) seen.Add(n); return string.Join(\",\", seen);"),
            "1,2,3"),
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public Task Following_the_diagnostics_gives_a_contract_that_works_at_run_time(Case c) => WalkAsync(c);

    [Theory]
    [MemberData(nameof(StreamingCases))]
    public Task Following_the_diagnostics_to_a_stream_gives_a_contract_that_works_at_run_time(Case c) => WalkAsync(c);

    private static async Task WalkAsync(Case c)
    {
        string ns = "Walk" + Math.Abs(c.Name.GetHashCode(StringComparison.Ordinal));
        var files = new CodeFixRunner.Files(
            [("/src/Contracts.cs", Usings + "namespace " + ns + ";\n" + c.Contract + "\n"),
             ("/src/Program.cs", Usings + "using System.Linq;\nnamespace " + ns + ";\n" + c.Program + "\n")],
            c.WithBaseline ? [("/src/contracts.shipped.txt", "")] : []);

        var before = await CodeFixRunner.DiagnosticsAsync(files);
        Assert.Equal(c.Expected.Order(), before.Where(d => c.Expected.Contains(d.Id)).Select(d => d.Id).Order());

        if (c.Suggested is { } suggested)
        {
            var said = before.First(d => d.Id == c.Expected[0]).GetMessage();
            Assert.Contains(suggested.MessageSays, said);
            string contract = files.Source("/src/Contracts.cs");
            Assert.Contains(suggested.Old, contract);
            files = files with { Sources = [("/src/Contracts.cs", contract.Replace(suggested.Old, suggested.New)), files.Sources[1]] };
        }

        var applied = new List<string>();
        for (int step = 0; step < 12; step++)
        {
            var next = await CodeFixRunner.ApplyFirstOfferedAsync(Providers, files);
            if (next is null)
                break;
            files = next.Value.Files;
            applied.Add(next.Value.Id + " (" + next.Value.Title + ")");
        }
        if (c.Suggested is null)
            Assert.True(c.Expected.All(id => applied.Any(a => a.StartsWith(id, StringComparison.Ordinal))), "fixes applied: " + string.Join(", ", applied));

        var left = await CodeFixRunner.DiagnosticsAsync(files);
        Assert.True(left.All(d => d.Severity != DiagnosticSeverity.Error && d.Id is not ("IPC0017" or "IPC0018")),
            "after " + string.Join(", ", applied) + ":\n" + string.Join("\n", left));

        Assert.Equal(c.Result, await BuildAndRunAsync(files, ns));
    }

    [Fact]
    public void Every_diagnostic_with_a_code_fix_is_walked()
    {
        var walked = ((IEnumerable<object[]>)Cases).Concat(StreamingCases).SelectMany(row => ((Case)row[0]).Expected).ToHashSet();
        var fixable = Providers.SelectMany(p => p.FixableDiagnosticIds).ToHashSet();
        Assert.Empty(fixable.Except(walked));
    }

    /// <returns>What the call saw.</returns>
    private static async Task<string> BuildAndRunAsync(CodeFixRunner.Files files, string ns)
    {
        var compilation = TestCompilation.Create(files.Sources, assemblyName: ns);
        var output = TestCompilation.RunGenerators(compilation, out _);
        using var pe = new MemoryStream();
        var emit = output.Emit(pe);
        Assert.True(emit.Success, "the fixed contract does not build:\n" + string.Join("\n", emit.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error)) +
                                  "\n" + string.Join("\n----\n", files.Sources.Select(s => s.Text)));
        pe.Position = 0;
        var context = new AssemblyLoadContext(ns, isCollectible: true);
        try
        {
            var assembly = context.LoadFromStream(pe);
            var call = (Task<string>)assembly.GetType(ns + ".Runner")!.GetMethod("RunAsync", BindingFlags.Public | BindingFlags.Static)!.Invoke(null, null)!;
            return await call.WaitAsync(TimeSpan.FromSeconds(30));
        }
        finally
        {
            context.Unload();
        }
    }
}
