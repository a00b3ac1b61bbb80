using IpcContracts.Analyzers.Tests.Infrastructure;
using IpcContracts.CodeFixes;

namespace IpcContracts.Analyzers.Tests;

/// <summary>Each code fix applied, the result compiled (with both generators) and analyzed again without that diagnostic.</summary>
public sealed class CodeFixTests
{
    private const string Path = "/src/Contracts.cs";

    private const string Usings = """
        using System.Text.Json.Serialization;
        using System.Threading;
        using System.Threading.Tasks;
        using IpcContracts;

        namespace Shop;

        """;

    private static (string, string)[] One(string text) => [(Path, text)];

    [Fact]
    public async Task IPC0005_wraps_the_result_in_Task()
    {
        var (files, title) = await CodeFixRunner.ApplyAsync(new WrapReturnTypeInTaskCodeFix(), "IPC0005", One(Usings + """
            [RequestContract]
            public interface ICounter
            {
                int Count(string sku);
            }
            """));

        Assert.Equal("Wrap the return type in Task<T>", title);
        Assert.Contains("    Task<int> Count(string sku);", files.Source(Path));
        CodeFixRunner.AssertFixed(files, "IPC0005");
    }

    [Fact]
    public async Task IPC0005_void_becomes_Task_and_the_using_is_added()
    {
        var (files, _) = await CodeFixRunner.ApplyAsync(new WrapReturnTypeInTaskCodeFix(), "IPC0005", One("""
            using IpcContracts;

            namespace Shop;

            [RequestContract]
            public interface IFire
            {
                void Fire(string reason);
            }
            """));

        Assert.Equal("""
            using System.Threading.Tasks;
            using IpcContracts;

            namespace Shop;

            [RequestContract]
            public interface IFire
            {
                Task Fire(string reason);
            }
            """, files.Source(Path));
        CodeFixRunner.AssertFixed(files, "IPC0005");
    }

    [Fact]
    public async Task IPC0006_event_returns_void()
    {
        var (files, _) = await CodeFixRunner.ApplyAsync(new EventReturnsVoidCodeFix(), "IPC0006", One(Usings + """
            [EventContract]
            public interface IEvents
            {
                Task<int> Changed(string sku);
            }
            """));

        Assert.Contains("    void Changed(string sku);", files.Source(Path));
        CodeFixRunner.AssertFixed(files, "IPC0006");
    }

    [Fact]
    public async Task IPC0007_passes_by_value()
    {
        var (files, _) = await CodeFixRunner.ApplyAsync(new PassByValueCodeFix(), "IPC0007", One(Usings + """
            [RequestContract]
            public interface ICalc
            {
                Task<int> AddAsync(int a, ref readonly int b);
            }
            """));

        Assert.Contains("Task<int> AddAsync(int a, int b);", files.Source(Path));
        CodeFixRunner.AssertFixed(files, "IPC0007");
    }

    [Fact]
    public async Task IPC0011_moves_the_token_last()
    {
        var (files, _) = await CodeFixRunner.ApplyAsync(new MoveCancellationTokenLastCodeFix(), "IPC0011", One(Usings + """
            [RequestContract]
            public interface IInventory
            {
                Task<int> CountAsync(CancellationToken ct, string sku, int warehouse);
            }
            """));

        Assert.Contains("    Task<int> CountAsync(string sku, int warehouse, CancellationToken ct);", files.Source(Path));
        CodeFixRunner.AssertFixed(files, "IPC0011");
    }

    [Fact]
    public async Task IPC0013_adds_an_alias_to_the_overload()
    {
        var (files, title) = await CodeFixRunner.ApplyAsync(new AddMethodAliasCodeFix(), "IPC0013", One(Usings + """
            [RequestContract]
            public interface IInventory
            {
                /// <summary>By SKU.</summary>
                Task<int> Find(string sku);

                /// <summary>By ID.</summary>
                Task<int> Find(int id, CancellationToken ct);
            }
            """));

        Assert.Equal("Add [ContractMethod(\"Find(int, CancellationToken)\")]", title);
        Assert.Contains("""
                /// <summary>By ID.</summary>
                [ContractMethod("Find(int, CancellationToken)")]
                Task<int> Find(int id, CancellationToken ct);
            """, files.Source(Path));
        CodeFixRunner.AssertFixed(files, "IPC0013");
    }

    [Fact]
    public async Task IPC0005_ref_stream_loses_its_ref()
    {
        var (files, title) = await CodeFixRunner.ApplyAsync(new WrapReturnTypeInTaskCodeFix(), "IPC0005", One(Usings + """
            using System.Collections.Generic;

            [RequestContract]
            public interface IFeed
            {
                ref IAsyncEnumerable<int> Ticks();
            }
            """));

        Assert.Equal("Return the stream without 'ref'", title);
        Assert.Contains("    IAsyncEnumerable<int> Ticks();", files.Source(Path));
        CodeFixRunner.AssertFixed(files, "IPC0005");
    }

    [Fact]
    public async Task IPC0028_returns_the_stream_itself()
    {
        var (files, title) = await CodeFixRunner.ApplyAsync(new UnwrapStreamFromTaskCodeFix(), "IPC0028", One(Usings + """
            using System.Collections.Generic;

            [RequestContract]
            public interface IQuotes
            {
                /// <summary>Every quote of the symbol.</summary>
                Task<IAsyncEnumerable<Quote>> Watch(string symbol, CancellationToken ct = default);
            }
            public sealed record Quote(string Symbol, decimal Price);
            [JsonSerializable(typeof(Quote))] internal partial class QuotesJson : JsonSerializerContext;
            """));

        Assert.Equal("Return IAsyncEnumerable<T> itself", title);
        Assert.Contains("""
                /// <summary>Every quote of the symbol.</summary>
                IAsyncEnumerable<Quote> Watch(string symbol, CancellationToken ct = default);
            """, files.Source(Path));
        Assert.Empty(CodeFixRunner.AssertFixed(files, "IPC0028"));
    }

    [Fact]
    public async Task IPC0028_fix_all_unwraps_Task_ValueTask_and_qualified_names()
    {
        var files = await CodeFixRunner.FixAllAsync(new UnwrapStreamFromTaskCodeFix(), "IPC0028", One(Usings + """
            using System.Collections.Generic;

            [RequestContract]
            public interface IQuotes
            {
                Task<IAsyncEnumerable<int>> Ticks();
                ValueTask<IAsyncEnumerable<string?>> Symbols(string prefix);
                System.Threading.Tasks.Task<System.Collections.Generic.IAsyncEnumerable<long>> Volumes();
            }
            """));

        string source = files.Source(Path);
        Assert.Contains("    IAsyncEnumerable<int> Ticks();", source);
        Assert.Contains("    IAsyncEnumerable<string?> Symbols(string prefix);", source);
        Assert.Contains("    System.Collections.Generic.IAsyncEnumerable<long> Volumes();", source);
        Assert.Empty(CodeFixRunner.AssertFixed(files, "IPC0028"));
    }

    [Fact]
    public async Task IPC0028_offers_no_fix_when_the_items_cannot_be_payloads()
    {
        // Unwrapping would only trade IPC0028 for the item's own error, which is reported (and fixed) separately.
        var files = new CodeFixRunner.Files(One(Usings + """
            using System;
            using System.Collections.Generic;

            [RequestContract]
            public interface IQuotes
            {
                Task<IAsyncEnumerable<Action>> Callbacks();
            }
            """), []);

        Assert.Contains(await CodeFixRunner.DiagnosticsAsync(files), d => d.Id == "IPC0028");
        Assert.Null(await CodeFixRunner.ApplyFirstOfferedAsync([new UnwrapStreamFromTaskCodeFix()], files));
    }

    [Fact]
    public async Task IPC0017_registers_the_item_of_a_stream_not_the_stream()
    {
        var (files, title) = await CodeFixRunner.ApplyAsync(new AddJsonSerializableCodeFix(), "IPC0017", One(Usings + """
            using System.Collections.Generic;

            [RequestContract]
            public interface IQuotes
            {
                IAsyncEnumerable<Quote> Watch(string symbol);
            }
            public sealed record Quote(string Symbol, decimal Price);
            public sealed record Other(int Id);
            [JsonSerializable(typeof(Other))] internal partial class QuotesJson : JsonSerializerContext;
            """));

        Assert.Equal("Add [JsonSerializable(typeof(Shop.Quote))] to 'QuotesJson'", title);
        Assert.Contains("[JsonSerializable(typeof(Quote))]", files.Source(Path));
        Assert.DoesNotContain("typeof(IAsyncEnumerable", files.Source(Path));
        Assert.Empty(CodeFixRunner.AssertFixed(files, "IPC0017"));
    }

    [Fact]
    public async Task IPC0017_registers_the_value_of_a_progress_parameter_not_the_IProgress()
    {
        var (files, title) = await CodeFixRunner.ApplyAsync(new AddJsonSerializableCodeFix(), "IPC0017", One(Usings + """
            using System;

            [RequestContract]
            public interface IJobs
            {
                Task Import(string path, IProgress<Status>? progress, CancellationToken ct = default);
            }
            public sealed record Status(string Stage, int Percent);
            public sealed record Other(int Id);
            [JsonSerializable(typeof(Other))] internal partial class JobsJson : JsonSerializerContext;
            """));

        Assert.Equal("Add [JsonSerializable(typeof(Shop.Status))] to 'JobsJson'", title);
        Assert.Contains("[JsonSerializable(typeof(Status))]", files.Source(Path));
        Assert.DoesNotContain("typeof(IProgress", files.Source(Path));
        Assert.Empty(CodeFixRunner.AssertFixed(files, "IPC0017"));
    }

    [Fact]
    public async Task IPC0017_registers_the_items_of_a_stream_parameter_not_the_IAsyncEnumerable()
    {
        var (files, title) = await CodeFixRunner.ApplyAsync(new AddJsonSerializableCodeFix(), "IPC0017", One(Usings + """
            using System.Collections.Generic;

            [RequestContract]
            public interface IUploads
            {
                Task Upload(string name, IAsyncEnumerable<Chunk> chunks, CancellationToken ct = default);
            }
            public sealed record Chunk(int Index);
            public sealed record Other(int Id);
            [JsonSerializable(typeof(Other))] internal partial class UploadsJson : JsonSerializerContext;
            """));

        Assert.Equal("Add [JsonSerializable(typeof(Shop.Chunk))] to 'UploadsJson'", title);
        Assert.Contains("[JsonSerializable(typeof(Chunk))]", files.Source(Path));
        Assert.DoesNotContain("typeof(IAsyncEnumerable", files.Source(Path));
        Assert.Empty(CodeFixRunner.AssertFixed(files, "IPC0017"));
    }

    [Fact]
    public async Task IPC0017_adds_the_registration_to_the_existing_context()
    {
        var context = ("/src/ShopJson.cs", """
            using System.Text.Json.Serialization;

            namespace Shop.Serialization;

            [JsonSerializable(typeof(Shop.StockLevel))]
            internal partial class ShopJson : JsonSerializerContext;
            """);
        var (files, title) = await CodeFixRunner.ApplyAsync(new AddJsonSerializableCodeFix(), "IPC0017", [(Path, Usings + """
            [RequestContract]
            public interface IInventory
            {
                Task<StockLevel> GetAsync(string sku);
                Task ReserveAsync(Reservation reservation);
            }
            public sealed record StockLevel(string Sku, int OnHand);
            public sealed record Reservation(string Sku, int Quantity);
            """), context]);

        Assert.Equal("Add [JsonSerializable(typeof(Shop.Reservation))] to 'ShopJson'", title);
        Assert.Equal("""
            using System.Text.Json.Serialization;

            namespace Shop.Serialization;

            [JsonSerializable(typeof(Shop.StockLevel))]
            [JsonSerializable(typeof(Reservation))]
            internal partial class ShopJson : JsonSerializerContext;
            """, files.Source("/src/ShopJson.cs"));
        CodeFixRunner.AssertFixed(files, "IPC0017");
    }

    [Fact]
    public async Task IPC0017_creates_a_context_when_there_is_none_and_fix_all_registers_every_type()
    {
        var files = await CodeFixRunner.FixAllAsync(new AddJsonSerializableCodeFix(), "IPC0017", One(Usings + """
            [RequestContract]
            public interface IInventory
            {
                Task<StockLevel> GetAsync(string sku);
                Task ReserveAsync(Reservation reservation, float? weight);
                Task<StockLevel> AgainAsync(StockLevel level);
            }
            public sealed record StockLevel(string Sku, int OnHand);
            public sealed record Reservation(string Sku, int Quantity);
            """));

        Assert.Equal("""
            using System.Text.Json.Serialization;

            namespace Shop;

            /// <summary>System.Text.Json metadata for the payload types of this project's IPC contracts.</summary>
            [JsonSerializable(typeof(StockLevel))]
            [JsonSerializable(typeof(Reservation))]
            [JsonSerializable(typeof(float?))]
            internal partial class ContractsJsonContext : JsonSerializerContext
            {
            }

            """.ReplaceLineEndings("\n"), files.Source("/src/ContractsJsonContext.cs"));
        var left = CodeFixRunner.AssertFixed(files, "IPC0017");
        Assert.Empty(left);
    }

    [Fact]
    public async Task IPC0017_fills_a_context_that_has_no_registrations_yet()
    {
        var (files, _) = await CodeFixRunner.ApplyAsync(new AddJsonSerializableCodeFix(), "IPC0017", One(Usings + """
            [RequestContract] public interface IInventory { Task<StockLevel> GetAsync(string sku); }
            public sealed record StockLevel(string Sku, int OnHand);
            internal partial class EmptyJson : JsonSerializerContext;
            """.Replace("internal partial class EmptyJson : JsonSerializerContext;", "[JsonSourceGenerationOptions(WriteIndented = false)]\ninternal partial class EmptyJson : JsonSerializerContext;")));

        Assert.Contains("[JsonSerializable(typeof(StockLevel))]\ninternal partial class EmptyJson", files.Source(Path).ReplaceLineEndings("\n"));
        CodeFixRunner.AssertFixed(files, "IPC0017");
    }

    private const string Shipped = "/src/contracts.shipped.txt";
    private const string Unshipped = "/src/contracts.unshipped.txt";

    private const string BaselineContracts = Usings + """
        [RequestContract("inventory")]
        public interface IInventory
        {
            Task<int> CountAsync(string sku, CancellationToken ct = default);
        }
        [EventContract("inventory.events")]
        public interface IInventoryEvents
        {
            void Changed(string sku, int count);
        }
        """;

    [Fact]
    public async Task IPC0022_creates_contracts_unshipped_next_to_the_shipped_file()
    {
        var (files, title) = await CodeFixRunner.ApplyAsync(new AddToBaselineCodeFix(), "IPC0022", One(BaselineContracts), [(Shipped, "")]);

        Assert.Equal("Record in contracts.unshipped.txt", title);
        uint id = Fnv1aForTests.Hash32("inventory");
        Assert.Equal($"""
            # Contracts and methods not shipped yet. Move these lines to contracts.shipped.txt when you release.
            0x{id:X8} request "inventory"
            0x{id:X8}.0x{Fnv1aForTests.Hash32("CountAsync"):X8} "CountAsync" R:int(string sku)

            """.ReplaceLineEndings("\n"), files.AdditionalText(Unshipped));
        var left = CodeFixRunner.AssertFixed(files with { Additional = files.Additional }, "IPC0023");
        Assert.Single(left, d => d.Id == "IPC0022"); // the event contract is the other one
    }

    [Fact]
    public async Task IPC0022_fix_all_records_everything_and_replaces_out_of_date_lines()
    {
        uint id = Fnv1aForTests.Hash32("inventory");
        string stale = $"0x{id:X8}.0x{Fnv1aForTests.Hash32("CountAsync"):X8} \"CountAsync\" R:int(int id)";
        var files = await CodeFixRunner.FixAllAsync(new AddToBaselineCodeFix(), "IPC0022", One(BaselineContracts),
            [(Shipped, $"0x{id:X8} request \"inventory\"\n"), (Unshipped, "# pending\n" + stale + "\n")]);

        string text = files.AdditionalText(Unshipped)!;
        Assert.StartsWith("# pending\n" + $"0x{id:X8}.0x{Fnv1aForTests.Hash32("CountAsync"):X8} \"CountAsync\" R:int(string sku)\n", text);
        Assert.DoesNotContain("R:int(int id)", text);
        Assert.Contains("\"inventory.events\"", text);
        Assert.Contains("E:void(string sku,int count)", text);
        Assert.Empty(CodeFixRunner.AssertFixed(files, "IPC0022"));
    }
}
