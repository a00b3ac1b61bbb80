namespace IpcContracts.Generators.Tests;

/// <summary>
/// The contract shapes the generator supports, one self-contained source each (contracts, DTOs and their
/// JsonSerializerContext). Snapshot tests pin the output of each; compilation tests compile each with the runtime.
/// </summary>
public static class ContractShapes
{
    private const string Usings = """
        using System;
        using System.Collections.Generic;
        using System.Text.Json.Serialization;
        using System.Threading;
        using System.Threading.Tasks;
        using IpcContracts;

        """;

    public const string ManyParameters = Usings + """
        namespace Shop;

        [RequestContract]
        public interface IPricing
        {
            Task<Quote> QuoteAsync(string sku, int quantity, decimal discount, DateTime at, Guid customer, bool express, string? note, long[] batches, CancellationToken ct);
            Task<decimal> TotalAsync(string sku, int quantity);
        }

        public sealed record Quote(string Sku, decimal Total);

        [JsonSerializable(typeof(Quote))]
        [JsonSerializable(typeof(long[]))]
        internal partial class PricingJson : JsonSerializerContext;
        """;

    public const string NoParameters = Usings + """
        namespace Shop;

        [RequestContract]
        public interface IHealth
        {
            Task<int> CountAsync();
            Task PingAsync();
        }
        """;

    public const string CancellationTokens = Usings + """
        namespace Shop;

        [RequestContract]
        public interface IInventory
        {
            Task<StockLevel> GetStockAsync(string sku, CancellationToken ct = default);
            Task ReserveAsync(Reservation reservation, CancellationToken cancellationToken);
            Task<int> CountAsync(CancellationToken ct);
        }

        public sealed record StockLevel(string Sku, int OnHand);
        public sealed record Reservation(string Sku, int Quantity);

        [JsonSerializable(typeof(StockLevel))]
        [JsonSerializable(typeof(Reservation))]
        internal partial class InventoryJson : JsonSerializerContext;
        """;

    public const string ValueTasks = Usings + """
        namespace Shop;

        [RequestContract]
        public interface IFastInventory
        {
            ValueTask PingAsync();
            ValueTask<StockLevel> GetAsync(string sku, CancellationToken ct);
            ValueTask<string?> FindNameAsync(int id);
        }

        public sealed record StockLevel(string Sku, int OnHand);

        [JsonSerializable(typeof(StockLevel))]
        internal partial class InventoryJson : JsonSerializerContext;
        """;

    public const string Events = Usings + """
        namespace Shop;

        [EventContract]
        public interface IInventoryEvents
        {
            void StockChanged(StockChanged e);
            Task PriceChanged(string sku, decimal price);
            ValueTask Cleared(CancellationToken ct);
            void Reset();
        }

        public sealed record StockChanged(string Sku, int OnHand);

        [JsonSerializable(typeof(StockChanged))]
        internal partial class EventsJson : JsonSerializerContext;
        """;

    public const string GenericDtos = Usings + """
        namespace Shop;

        [RequestContract]
        public interface ICatalog
        {
            Task<Page<StockLevel>> ListAsync(int skip, int take);
            Task<List<StockLevel>> AllAsync();
            Task<Dictionary<string, int>> CountsAsync(string[] skus);
            Task<int?> FindAsync(Page<string> names);
        }

        public sealed class Page<T>
        {
            public List<T> Items { get; set; } = new();
            public int Total { get; set; }
        }

        public sealed record StockLevel(string Sku, int OnHand);

        [JsonSerializable(typeof(Page<StockLevel>))]
        [JsonSerializable(typeof(Page<string>))]
        [JsonSerializable(typeof(List<StockLevel>))]
        internal partial class CatalogJson : JsonSerializerContext;
        """;

    public const string NestedNamespaces = Usings + """
        namespace Shop.Inventory.Warehouses
        {
            [RequestContract]
            public interface IBins
            {
                Task<Bin> FindAsync(Shop.Inventory.Location location);
            }

            public sealed record Bin(string Code);
        }

        namespace Shop.Inventory
        {
            public sealed record Location(int Aisle, int Shelf);

            [JsonSerializable(typeof(Warehouses.Bin))]
            [JsonSerializable(typeof(Location))]
            internal partial class BinsJson : JsonSerializerContext;
        }
        """;

    public const string NestedInClass = Usings + """
        namespace Shop;

        public static class Outer
        {
            [RequestContract]
            public interface IInventory
            {
                Task<int> CountAsync(string sku);
            }

            internal sealed class Holder
            {
                [EventContract]
                internal interface IAlerts
                {
                    void Raised(Alert alert);
                }

                public sealed record Alert(string Text);
            }
        }

        [JsonSerializable(typeof(Outer.Holder.Alert))]
        internal partial class OuterJson : JsonSerializerContext;
        """;

    public const string Records = Usings + """
        namespace Shop;

        [RequestContract]
        public interface IOrders
        {
            Task<OrderConfirmation> PlaceAsync(Order order);
            Task<OrderLine> FirstLineAsync(OrderId id);
        }

        public sealed record Order(OrderId Id, IReadOnlyList<OrderLine> Lines, string? Comment = null);
        public readonly record struct OrderId(Guid Value);
        public record OrderLine(string Sku, int Quantity);
        public sealed record OrderConfirmation(OrderId Id, DateTimeOffset At);

        [JsonSerializable(typeof(Order))]
        [JsonSerializable(typeof(OrderId))]
        [JsonSerializable(typeof(OrderLine))]
        [JsonSerializable(typeof(OrderConfirmation))]
        internal partial class OrdersJson : JsonSerializerContext;
        """;

    public const string ExplicitAlias = Usings + """
        namespace Shop;

        [RequestContract("inventory")]
        public interface IInventory
        {
            Task<StockLevel> GetStockAsync(string sku, CancellationToken ct = default);
            Task ReserveAsync(Reservation reservation, CancellationToken ct = default);
        }

        [EventContract("inventory.events")]
        public interface IInventoryEvents
        {
            void StockChanged(StockChanged e);
        }

        public sealed record StockLevel(string Sku, int OnHand);
        public sealed record Reservation(string Sku, int Quantity);
        public sealed record StockChanged(string Sku, int OnHand);

        [JsonSerializable(typeof(StockLevel))]
        [JsonSerializable(typeof(Reservation))]
        [JsonSerializable(typeof(StockChanged))]
        internal partial class InventoryJson : JsonSerializerContext;
        """;

    public const string ExplicitNumericId = Usings + """
        namespace Shop;

        [RequestContract(Id = 0x00C0FFEEu)]
        public interface IBilling
        {
            Task<decimal> BalanceAsync(string account);
        }

        [EventContract("billing.events", Id = 7)]
        public interface IBillingEvents
        {
            void Charged(string account, decimal amount);
        }
        """;

    public const string MethodAlias = Usings + """
        namespace Shop;

        [RequestContract("lookup")]
        public interface ILookup
        {
            [ContractMethod("stock.get")]
            Task<int> GetAsync(string sku);

            [ContractMethod(Id = 42)]
            Task PingAsync();

            [ContractMethod("find.bySku")]
            Task<string> FindAsync(string sku);

            [ContractMethod("find.byId", Id = 0xABCDu)]
            Task<string> FindAsync(int id);
        }
        """;

    /// <summary>
    /// [ContractMethod(TimeoutMilliseconds)]: a positive value, Timeout.Infinite next to an alias and an Id, a stream
    /// (where it bounds each wait for an item), and a method without one, whose descriptor must stay as before.
    /// </summary>
    public const string CallTimeouts = Usings + """
        namespace Shop;

        [RequestContract("orders")]
        public interface IOrders
        {
            [ContractMethod(TimeoutMilliseconds = 120_000)]
            Task<int> PlaceAsync(string cart, CancellationToken ct = default);

            [ContractMethod("orders.next", Id = 7, TimeoutMilliseconds = Timeout.Infinite)]
            Task<string?> WaitForNextAsync(CancellationToken ct = default);

            [ContractMethod(TimeoutMilliseconds = 250)]
            IAsyncEnumerable<int> WatchAsync(string id);

            Task CancelAsync(string id);
        }
        """;

    public const string SameSimpleName = Usings + """
        namespace Shop.Retail
        {
            [RequestContract]
            public interface IInventory
            {
                Task<int> CountAsync(string sku);
            }
        }

        namespace Shop.Wholesale
        {
            [RequestContract]
            public interface IInventory
            {
                Task<int> CountAsync(string sku);
            }
        }
        """;

    public const string KeywordAndParamsParameters = Usings + """
        namespace Shop;

        [RequestContract]
        public interface IEcho
        {
            Task<string> EchoAsync(string @class, int @event = 3, params string[] @params);
            Task<int> LimitAsync(int limit = 10, string? filter = null);
        }
        """;

    public const string InheritedMethods = Usings + """
        namespace Shop;

        public interface IPingable
        {
            Task PingAsync();
        }

        [RequestContract]
        public interface IWarehouse : IPingable
        {
            Task<int> CountAsync(string sku);
        }
        """;

    public const string NamedJsonContexts = Usings + """
        [assembly: IpcJsonContext(typeof(Shop.PrimaryJson))]
        [assembly: IpcJsonContext(typeof(Shop.SecondaryJson))]

        namespace Shop;

        [RequestContract]
        public interface ITickets
        {
            Task<Ticket> OpenAsync(string title);
        }

        public sealed record Ticket(int Id, string Title);
        public sealed record Unused(int Id);
        public sealed record Secondary(int Id);

        [JsonSerializable(typeof(Ticket))]
        internal partial class PrimaryJson : JsonSerializerContext;

        [JsonSerializable(typeof(Secondary))]
        internal partial class SecondaryJson : JsonSerializerContext;

        // Not named by [assembly: IpcJsonContext], so ignored.
        [JsonSerializable(typeof(Unused))]
        internal partial class IgnoredJson : JsonSerializerContext;
        """;

    public const string ObsoleteAndGlobalNamespace = Usings + """
        [RequestContract]
        public interface IGlobal
        {
            [Obsolete("use V2")]
            Task<OldDto> GetAsync(OldDto dto);
            Task<int> CountAsync();
        }

        [Obsolete]
        public sealed record OldDto(int Id);

        #pragma warning disable CS0612 // the context must still list the obsolete DTO
        [JsonSerializable(typeof(OldDto))]
        internal partial class GlobalJson : JsonSerializerContext;
        #pragma warning restore CS0612
        """;

    /// <summary>
    /// Request methods that return a stream: no arguments, one argument, several with the call's token, only a token, a
    /// nullable and a generic item type, and a single-value method of the same item type next to them (their signatures
    /// must differ). The implementation's async iterator marks its token [EnumeratorCancellation]; on the interface the
    /// compiler warns that the attribute does nothing (CS8424), so it is left off here.
    /// </summary>
    public const string Streams = Usings + """
        namespace Shop;

        [RequestContract]
        public interface IQuotes
        {
            IAsyncEnumerable<int> Ticks();
            IAsyncEnumerable<string?> Symbols(string prefix);
            IAsyncEnumerable<Quote> Watch(string symbol, int depth, CancellationToken ct = default);
            IAsyncEnumerable<List<Quote>> Batches(CancellationToken ct);
            Task<Quote> LastAsync(string symbol);
        }

        public sealed record Quote(string Symbol, decimal Price);

        [JsonSerializable(typeof(Quote))]
        [JsonSerializable(typeof(List<Quote>))]
        internal partial class QuotesJson : JsonSerializerContext;
        """;

    /// <summary>
    /// Request methods with an IProgress&lt;T&gt; parameter: as the only parameter, with a result, between other parameters
    /// with the call's token, first with only a token after it, last after a single payload parameter (the single-value
    /// TArgs shape) under a keyword name, nullable parameter and value types, a DTO as the value; and the same import
    /// without progress next to it (their signatures must differ).
    /// </summary>
    public const string Progress = Usings + """
        namespace Shop;

        [RequestContract]
        public interface IJobs
        {
            Task Run(IProgress<int> progress);
            Task<Report> Import(string path, IProgress<ImportStatus>? progress, int retries, CancellationToken ct = default);
            ValueTask Warm(IProgress<string?> progress, CancellationToken ct);
            ValueTask<int> Count(string prefix, IProgress<double> @fixed);
            Task<Report> ImportQuietly(string path, int retries, CancellationToken ct = default);
        }

        public sealed record ImportStatus(string Stage, int Percent);

        public sealed record Report(int Rows);

        [JsonSerializable(typeof(ImportStatus))]
        [JsonSerializable(typeof(Report))]
        internal partial class JobsJson : JsonSerializerContext;
        """;

    /// <summary>
    /// Request methods with an IAsyncEnumerable&lt;T&gt; parameter (caller to handler): as the only parameter with no
    /// result, with a result between other parameters and the call's token, both ways (a stream result too) under a
    /// keyword name, a ValueTask&lt;T&gt; with the stream first and a token after it (the single-value TArgs shape), a
    /// nullable stream of nullable items; and the same upload without the stream next to it (their signatures must differ).
    /// </summary>
    public const string ArgumentStreams = Usings + """
        namespace Shop;

        [RequestContract]
        public interface IUploads
        {
            Task Push(IAsyncEnumerable<int> items);
            Task<Receipt> Upload(string name, IAsyncEnumerable<Chunk> chunks, int retries, CancellationToken ct = default);
            IAsyncEnumerable<Chunk> Echo(IAsyncEnumerable<Chunk> @in, CancellationToken ct);
            ValueTask<int> Count(IAsyncEnumerable<string?>? lines, string prefix, CancellationToken ct);
            ValueTask Drain(IAsyncEnumerable<Receipt> receipts);
            Task<Receipt> UploadWhole(string name, int retries, CancellationToken ct = default);
        }

        public sealed record Chunk(int Index, byte[] Data);

        public sealed record Receipt(string Name, long Bytes);

        [JsonSerializable(typeof(Chunk))]
        [JsonSerializable(typeof(Receipt))]
        internal partial class UploadsJson : JsonSerializerContext;
        """;

    /// <summary>
    /// Request methods with a stream parameter and an IProgress&lt;T&gt; next to it (the handler reports while it reads):
    /// items with a result, the progress first and a byte Stream after it with no result, a ValueTask&lt;T&gt; with the
    /// stream first (the single-value TArgs shape: neither is an argument), a nullable progress and a token.
    /// </summary>
    public const string ArgumentStreamsWithProgress = Usings + """
        using System.IO;

        namespace Shop;

        [RequestContract]
        public interface IImports
        {
            Task<ImportReport> Import(string path, IAsyncEnumerable<Row> rows, IProgress<int> progress, CancellationToken ct = default);
            Task Load(IProgress<long>? loaded, Stream data);
            ValueTask<int> Count(IAsyncEnumerable<Row> rows, IProgress<double> progress);
        }

        public sealed record Row(int Number, string Text);

        public sealed record ImportReport(int Rows);

        [JsonSerializable(typeof(Row))]
        [JsonSerializable(typeof(ImportReport))]
        internal partial class ImportsJson : JsonSerializerContext;
        """;

    /// <summary>
    /// Bytes: one binary parameter (byte[], byte[]?, ReadOnlyMemory&lt;byte&gt;, ReadOnlySequence&lt;byte&gt;) next to others,
    /// binary results, progress values and stream items, Stream and PipeReader parameters and results (with Task and
    /// ValueTask, nullable, both ways, next to an IAsyncEnumerable&lt;T&gt;), and events with a binary parameter. No
    /// JsonSerializerContext mentions a byte type: generated code takes their metadata from BinaryJson.
    /// </summary>
    public const string Bytes = Usings + """
        using System.Buffers;
        using System.IO;
        using System.IO.Pipelines;

        namespace Files;

        [RequestContract]
        public interface IFiles
        {
            Task<int> Put(string name, byte[] data, CancellationToken ct = default);
            Task<byte[]?> Get(string name, byte[]? etag);
            ValueTask<ReadOnlyMemory<byte>> Hash(ReadOnlyMemory<byte> data);
            Task<ReadOnlySequence<byte>> Repeat(ReadOnlySequence<byte> data, int times);
            Task<int> Tag(Label label, byte[] data);
            Task Preview(string name, IProgress<byte[]> thumbnails);
            IAsyncEnumerable<ReadOnlyMemory<byte>> Blocks(string name, CancellationToken ct = default);
            Task<Stream> Open(string name, CancellationToken ct = default);
            Task<Stream?> TryOpen(string name);
            ValueTask<PipeReader> OpenPipe(string name);
            Task<long> Upload(string name, Stream content, CancellationToken ct = default);
            ValueTask Drain(PipeReader? reader);
            ValueTask<Stream> Transform(Stream input, int shift, CancellationToken ct);
            IAsyncEnumerable<Label> Split(PipeReader input, int size);
            Task<Stream> Join(IAsyncEnumerable<byte[]> parts);
        }

        [EventContract]
        public interface IFileEvents
        {
            void Changed(string name, byte[] content);
            Task Truncated(ReadOnlySequence<byte> tail, long length);
        }

        public sealed record Label(string Name, byte[] Thumbnail);

        [JsonSerializable(typeof(Label))]
        internal partial class FilesJson : JsonSerializerContext;
        """;

    /// <summary>Every shape by name, for the theories that run them all.</summary>
    /// <summary>
    /// Payload types that get a generated JSON reader (one public constructor with parameters of simple types, whatever
    /// the C# form: positional record, record struct, immutable class, [JsonConstructor] among several, keyword
    /// parameter names) and ones that do not (a settable class, a member of another type, required members the
    /// constructor does not set).
    /// </summary>
    public const string GeneratedReaders = Usings + """
        namespace Shop;

        [RequestContract]
        public interface IReaders
        {
            Task<Quote> QuoteAsync(Sku sku, Window window, Keywords keywords);
            Task<Marked> MarkAsync(Mutable mutable, WithList withList, WithRequired withRequired);
        }

        public sealed record Quote(string Text, int Count, long Big, bool Flag, double Ratio, float Small, decimal Price, Guid Id, DateTime When, DateTimeOffset At)
        {
            public int Length => Text.Length;
        }
        public readonly record struct Sku(string Value);
        public sealed class Window
        {
            public Window(DateTimeOffset from, DateTimeOffset to) { From = from; To = to; }
            public DateTimeOffset From { get; }
            public DateTimeOffset To { get; }
        }
        public sealed record Keywords(string @class, int @event);
        public sealed class Marked
        {
            public Marked() { }
            [JsonConstructor] public Marked(string note) => Note = note;
            public string Note { get; set; } = "";
        }
        public sealed class Mutable { public string Name { get; set; } = ""; }
        public sealed record WithList(string Name, List<int> Values);
        public sealed record WithRequired(string Name) { public required int Size { get; init; } }

        [JsonSerializable(typeof(Quote))]
        [JsonSerializable(typeof(Sku))]
        [JsonSerializable(typeof(Window))]
        [JsonSerializable(typeof(Keywords))]
        [JsonSerializable(typeof(Marked))]
        [JsonSerializable(typeof(Mutable))]
        [JsonSerializable(typeof(WithList))]
        [JsonSerializable(typeof(WithRequired))]
        internal partial class ReadersJson : JsonSerializerContext;
        """;

    public static readonly IReadOnlyDictionary<string, string> All = new Dictionary<string, string>
    {
        [nameof(ManyParameters)] = ManyParameters,
        [nameof(NoParameters)] = NoParameters,
        [nameof(CancellationTokens)] = CancellationTokens,
        [nameof(ValueTasks)] = ValueTasks,
        [nameof(Events)] = Events,
        [nameof(GenericDtos)] = GenericDtos,
        [nameof(NestedNamespaces)] = NestedNamespaces,
        [nameof(NestedInClass)] = NestedInClass,
        [nameof(Records)] = Records,
        [nameof(ExplicitAlias)] = ExplicitAlias,
        [nameof(ExplicitNumericId)] = ExplicitNumericId,
        [nameof(MethodAlias)] = MethodAlias,
        [nameof(CallTimeouts)] = CallTimeouts,
        [nameof(SameSimpleName)] = SameSimpleName,
        [nameof(KeywordAndParamsParameters)] = KeywordAndParamsParameters,
        [nameof(InheritedMethods)] = InheritedMethods,
        [nameof(NamedJsonContexts)] = NamedJsonContexts,
        [nameof(ObsoleteAndGlobalNamespace)] = ObsoleteAndGlobalNamespace,
        [nameof(Streams)] = Streams,
        [nameof(Progress)] = Progress,
        [nameof(ArgumentStreams)] = ArgumentStreams,
        [nameof(ArgumentStreamsWithProgress)] = ArgumentStreamsWithProgress,
        [nameof(Bytes)] = Bytes,
        [nameof(GeneratedReaders)] = GeneratedReaders,
    };

    public static TheoryData<string> Names => new(All.Keys);
}
