using System.Text.RegularExpressions;
using IpcContracts.Generators.Tests.Infrastructure;

namespace IpcContracts.Generators.Tests;

/// <summary>Wire IDs and fingerprints are FNV-1a as specified, checked against an independent implementation.</summary>
public sealed class WireIdTests
{
    private static readonly Regex MethodDescriptor = new(
        @"MethodDescriptor Method_\w+ = new\((0x[0-9A-F]{8}u), ""(.*?)"", (0x[0-9A-F]{16}UL), ""(.*?)""\);");

    private static readonly Regex MessageType = new(@"MessageTypeRegistry\.Register<.*?>\((0x[0-9A-F]{8}u), ""(.*?)"",");

    [Fact]
    public void Contract_ids_hash_the_explicit_alias()
    {
        var result = GeneratorRunner.Run(new[] { ContractShapes.ExplicitAlias });

        Assert.Contains($": base({Fnv.Literal32("inventory")}, \"inventory\", global::IpcContracts.ContractKind.Request, \"Shop.IInventory\"",
            result.Text("Shop.IInventory.IpcContract.g.cs"));
        Assert.Contains($": base({Fnv.Literal32("inventory.events")}, \"inventory.events\", global::IpcContracts.ContractKind.Event,",
            result.Text("Shop.IInventoryEvents.IpcContract.g.cs"));
        Assert.Equal("0xFCFDC43Fu", Fnv.Literal32("inventory")); // pinned by hand: the ID is part of the wire format
    }

    [Fact]
    public void Contract_ids_default_to_the_hash_of_the_full_name_including_containing_types()
    {
        var result = GeneratorRunner.Run(new[] { ContractShapes.NestedInClass });

        Assert.Contains($": base({Fnv.Literal32("Shop.Outer.IInventory")}, \"Shop.Outer.IInventory\",", result.Text("Shop.Outer.IInventory.IpcContract.g.cs"));
        Assert.Contains($": base({Fnv.Literal32("Shop.Outer.Holder.IAlerts")}, \"Shop.Outer.Holder.IAlerts\",", result.Text("Shop.Outer.Holder.IAlerts.IpcContract.g.cs"));
    }

    [Fact]
    public void Explicit_numeric_ids_replace_the_hash()
    {
        var result = GeneratorRunner.Run(new[] { ContractShapes.ExplicitNumericId, ContractShapes.MethodAlias });

        Assert.Contains(": base(0x00C0FFEEu, \"Shop.IBilling\",", result.Text("Shop.IBilling.IpcContract.g.cs"));
        Assert.Contains(": base(0x00000007u, \"billing.events\",", result.Text("Shop.IBillingEvents.IpcContract.g.cs"));
        var lookup = result.Text("Shop.ILookup.IpcContract.g.cs");
        Assert.Contains("new(0x0000002Au, \"PingAsync\",", lookup);
        Assert.Contains("new(0x0000ABCDu, \"find.byId\",", lookup);
        Assert.Contains($"new({Fnv.Literal32("stock.get")}, \"stock.get\",", lookup);
    }

    [Fact]
    public void Every_method_id_and_fingerprint_matches_its_alias_and_signature()
    {
        var explicitIds = new HashSet<string> { "0x0000002Au", "0x0000ABCDu" };
        int checkedMethods = 0;
        foreach (var (name, source) in ContractShapes.All)
        {
            var text = GeneratorRunner.Run(new[] { source }).Combined();
            foreach (Match m in MethodDescriptor.Matches(text))
            {
                if (!explicitIds.Contains(m.Groups[1].Value))
                    Assert.True(Fnv.Literal32(m.Groups[2].Value) == m.Groups[1].Value, $"{name}: method '{m.Groups[2].Value}' has ID {m.Groups[1].Value}");
                Assert.True(Fnv.Literal64(m.Groups[4].Value) == m.Groups[3].Value, $"{name}: fingerprint of '{m.Groups[4].Value}'");
                checkedMethods++;
            }
            foreach (Match m in MessageType.Matches(text))
                Assert.True(Fnv.Literal32(m.Groups[2].Value) == m.Groups[1].Value, $"{name}: message type '{m.Groups[2].Value}'");
        }
        Assert.True(checkedMethods > 30, $"only {checkedMethods} methods found; did the descriptor format change?");
    }

    [Theory]
    [InlineData("R:Shop.StockLevel(string sku)", "GetStockAsync")]
    [InlineData("R:void(Shop.Reservation reservation)", "ReserveAsync")]
    [InlineData("E:void(Shop.StockChanged e)", "StockChanged")]
    public void Canonical_signatures_drop_the_cancellation_token_and_nullable_annotations(string signature, string method)
    {
        var source = ContractShapes.ExplicitAlias.Replace("string sku", "string? sku");
        var text = GeneratorRunner.Run(new[] { source }).Combined();

        Assert.Contains($"Method_{method} = new({Fnv.Literal32(method)}, \"{method}\", {Fnv.Literal64(signature)}, \"{signature}\");", text);
    }

    [Theory]
    [InlineData("R:System.Collections.Generic.IAsyncEnumerable<Shop.Quote>(string symbol,int depth)", "Watch")]
    [InlineData("R:System.Collections.Generic.IAsyncEnumerable<string>(string prefix)", "Symbols")]
    [InlineData("R:System.Collections.Generic.IAsyncEnumerable<int>()", "Ticks")]
    [InlineData("R:Shop.Quote(string symbol)", "LastAsync")]
    public void Stream_signatures_name_IAsyncEnumerable_so_a_stream_never_matches_a_single_value(string signature, string method)
    {
        var text = GeneratorRunner.Run(new[] { ContractShapes.Streams }).Combined();

        Assert.Contains($"Method_{method} = new({Fnv.Literal32(method)}, \"{method}\", {Fnv.Literal64(signature)}, \"{signature}\");", text);
    }

    [Fact]
    public void A_stream_and_a_single_value_of_the_same_type_have_different_fingerprints()
    {
        // The same method once as a stream of Quote and once as a single Quote: peers built from each must not match.
        string Fingerprint(string returns) => MethodDescriptor.Match(GeneratorRunner.Run(new[] { ContractShapes.Streams.Replace(
            "IAsyncEnumerable<Quote> Watch(string symbol", returns + " Watch(string symbol") }).Text("Shop.IQuotes.IpcContract.g.cs")
            .Split('\n').Single(l => l.Contains("Method_Watch = new("))).Groups[3].Value;

        Assert.NotEqual(Fingerprint("IAsyncEnumerable<Quote>"), Fingerprint("Task<Quote>"));
    }

    [Theory]
    [InlineData("R:void(System.IProgress<int> progress)", "Run")]
    [InlineData("R:Shop.Report(string path,System.IProgress<Shop.ImportStatus> progress,int retries)", "Import")]
    [InlineData("R:void(System.IProgress<string> progress)", "Warm")]
    [InlineData("R:int(string prefix,System.IProgress<double> fixed)", "Count")]
    public void Progress_signatures_name_the_IProgress_parameter_in_its_place(string signature, string method)
    {
        var text = GeneratorRunner.Run(new[] { ContractShapes.Progress }).Combined();

        Assert.Contains($"Method_{method} = new({Fnv.Literal32(method)}, \"{method}\", {Fnv.Literal64(signature)}, \"{signature}\");", text);
    }

    [Fact]
    public void A_method_with_progress_and_the_same_method_without_it_have_different_fingerprints()
    {
        // The argument object is the same JSON either way; only the fingerprint tells a peer that reports progress from one that does not.
        string Fingerprint(string parameters) => MethodDescriptor.Match(GeneratorRunner.Run(new[] { ContractShapes.Progress.Replace(
            "Import(string path, IProgress<ImportStatus>? progress, int retries,", "Import(" + parameters + ",") }).Text("Shop.IJobs.IpcContract.g.cs")
            .Split('\n').Single(l => l.Contains("Method_Import = new("))).Groups[3].Value;

        string with = Fingerprint("string path, IProgress<ImportStatus>? progress, int retries");
        Assert.NotEqual(with, Fingerprint("string path, int retries"));
        Assert.NotEqual(with, Fingerprint("string path, IProgress<int>? progress, int retries"));
        Assert.NotEqual(with, Fingerprint("string path, int retries, IProgress<ImportStatus>? progress"));
    }

    [Theory]
    [InlineData("R:void(System.Collections.Generic.IAsyncEnumerable<int> items)", "Push")]
    [InlineData("R:Shop.Receipt(string name,System.Collections.Generic.IAsyncEnumerable<Shop.Chunk> chunks,int retries)", "Upload")]
    [InlineData("R:System.Collections.Generic.IAsyncEnumerable<Shop.Chunk>(System.Collections.Generic.IAsyncEnumerable<Shop.Chunk> in)", "Echo")]
    [InlineData("R:int(System.Collections.Generic.IAsyncEnumerable<string> lines,string prefix)", "Count")]
    public void Argument_stream_signatures_name_the_IAsyncEnumerable_parameter_in_its_place(string signature, string method)
    {
        var text = GeneratorRunner.Run(new[] { ContractShapes.ArgumentStreams }).Combined();

        Assert.Contains($"Method_{method} = new({Fnv.Literal32(method)}, \"{method}\", {Fnv.Literal64(signature)}, \"{signature}\");", text);
    }

    [Fact]
    public void A_method_with_a_stream_parameter_and_the_same_method_without_it_have_different_fingerprints()
    {
        // The argument object is the same JSON either way; only the fingerprint tells a peer that reads a stream from one that does not.
        string Fingerprint(string parameters) => MethodDescriptor.Match(GeneratorRunner.Run(new[] { ContractShapes.ArgumentStreams.Replace(
            "Upload(string name, IAsyncEnumerable<Chunk> chunks, int retries,", "Upload(" + parameters + ",") }).Text("Shop.IUploads.IpcContract.g.cs")
            .Split('\n').Single(l => l.Contains("Method_Upload = new("))).Groups[3].Value;

        string with = Fingerprint("string name, IAsyncEnumerable<Chunk> chunks, int retries");
        Assert.NotEqual(with, Fingerprint("string name, int retries"));
        Assert.NotEqual(with, Fingerprint("string name, IAsyncEnumerable<int> chunks, int retries"));
        Assert.NotEqual(with, Fingerprint("string name, int retries, IAsyncEnumerable<Chunk> chunks"));
        Assert.NotEqual(with, Fingerprint("string name, List<Chunk> chunks, int retries"));
    }

    [Theory]
    // Only the optional parameters at the end that are argument-object members are marked: the ones a peer may lack.
    [InlineData("Task<int> Get(string sku, int limit = 10, CancellationToken ct = default);", "R:int(string sku,int limit=)")]
    [InlineData("Task<int> Get(string sku, string? note = null, int limit = 10);", "R:int(string sku,string note=,int limit=)")]
    [InlineData("Task<int> Get(int limit = 10, params string[] skus);", "R:int(int limit,string[] skus)")]
    [InlineData("Task<int> Get(string sku, int limit = 10, IProgress<int>? progress = null);", "R:int(string sku,int limit,System.IProgress<int> progress)")]
    [InlineData("Task<int> Get(string sku, [System.Runtime.InteropServices.Optional] int limit);", "R:int(string sku,int limit=)")]
    // Without optional parameters the text, and so the fingerprint, is what it always was.
    [InlineData("Task<int> Get(string sku, int limit, CancellationToken ct = default);", "R:int(string sku,int limit)")]
    public void Trailing_optional_payload_parameters_are_marked_in_the_signature(string declaration, string signature)
    {
        var source = $$"""
            using System;
            using System.Threading;
            using System.Threading.Tasks;
            namespace Shop;
            [IpcContracts.RequestContract("optional")]
            public interface IOptional { {{declaration}} }
            """;
        var text = GeneratorRunner.Run(new[] { source }).Text("Shop.IOptional.IpcContract.g.cs");

        Assert.Contains($"Method_Get = new({Fnv.Literal32("Get")}, \"Get\", {Fnv.Literal64(signature)}, \"{signature}\");", text);
    }

    [Fact]
    public void The_test_vector_for_a_marked_signature_is_the_one_docs_protocol_md_lists()
    {
        var text = GeneratorRunner.Run(new[] { """
            [IpcContracts.RequestContract("optional")]
            public interface IOptional { System.Threading.Tasks.Task<int> Get(string sku, int limit = 10); }
            """ }).Text("IOptional.IpcContract.g.cs");

        Assert.Contains("0x402C1EF9F1E635E6UL, \"R:int(string sku,int limit=)\"", text); // pinned by hand: docs/protocol.md 6.4
    }

    [Theory]
    [InlineData("inventário")]
    [InlineData("在庫")]
    [InlineData("a \"quoted\" \\ alias")]
    public void Non_ascii_and_escaped_aliases_hash_their_utf8_bytes(string alias)
    {
        var literal = Microsoft.CodeAnalysis.CSharp.SymbolDisplay.FormatLiteral(alias, quote: true);
        var source = $$"""
            namespace Shop;
            [IpcContracts.RequestContract({{literal}})]
            public interface IUnicode { System.Threading.Tasks.Task PingAsync(); }
            """;
        var result = GeneratorRunner.Run(new[] { source });

        Assert.Contains($": base({Fnv.Literal32(alias)}, {literal},", result.Text("Shop.IUnicode.IpcContract.g.cs"));
        Assert.Equal(IpcContracts.Protocol.Fnv1a.Hash32(alias), Fnv.Hash32(alias));
    }

    [Theory]
    [InlineData("")]
    [InlineData("inventory")]
    [InlineData("R:Shop.Page<Shop.StockLevel>(int skip,int take)")]
    [InlineData("ünïcödé ✓")]
    public void Generator_runtime_and_reference_hashes_agree(string text)
    {
        Assert.Equal(Fnv.Hash32(text), Parsing.Fnv1a.Hash32(text));
        Assert.Equal(Fnv.Hash64(text), Parsing.Fnv1a.Hash64(text));
        Assert.Equal(Fnv.Hash32(text), IpcContracts.Protocol.Fnv1a.Hash32(text));
        Assert.Equal(Fnv.Hash64(text), IpcContracts.Protocol.Fnv1a.Hash64(text));
    }
}
