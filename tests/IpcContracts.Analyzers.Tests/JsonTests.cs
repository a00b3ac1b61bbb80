using IpcContracts.Analyzers.Tests.Infrastructure;
using static IpcContracts.Analyzers.Tests.ContractShapeTests;

namespace IpcContracts.Analyzers.Tests;

/// <summary>IPC0017-IPC0019: payload types need source-generated metadata from a context the generator uses.</summary>
public sealed class JsonTests
{
    [Fact]
    public void IPC0017_payload_types_missing_from_the_context()
    {
        var diagnostics = AnalyzerRunner.Verify(Prelude + """
            [RequestContract]
            public interface IInventory
            {
                Task<{|IPC0017:StockLevel|}> GetAsync(string sku);
                Task ReserveAsync({|IPC0017:Reservation|} reservation, {|IPC0017:float?|} priority, {|IPC0017:Color|} color);
                Task<{|IPC0017:List<Registered>|}> ListAsync({|IPC0017:Page<Registered>|} page);
            }
            [EventContract]
            public interface IEvents { void Changed({|IPC0017:StockLevel?|} level); }
            public sealed record StockLevel(string Sku, int OnHand);
            public sealed record Reservation(string Sku);
            public sealed record Registered(int Id);
            public sealed record Page<T>(T[] Items);
            public enum Color { Red, Green }
            [JsonSerializable(typeof(Registered))] internal partial class ShopJson : JsonSerializerContext;
            """);

        Assert.Contains("add [JsonSerializable(typeof(StockLevel))] to 'ShopJson'", diagnostics[0].GetMessage());
        Assert.Equal("global::Shop.StockLevel", diagnostics[0].Properties["TypeName"]);
        Assert.Equal("Shop.ShopJson", diagnostics[0].Properties["Context"]);
    }

    [Fact]
    public void IPC0017_judges_the_items_of_a_stream()
    {
        var diagnostics = AnalyzerRunner.Verify(Prelude + """
            [RequestContract]
            public interface IQuotes
            {
                IAsyncEnumerable<{|IPC0017:Quote|}> Watch(string symbol);
                IAsyncEnumerable<{|IPC0018:object|}> Anything();
                IAsyncEnumerable<Registered> Fine(CancellationToken ct);
            }
            public sealed record Quote(string Symbol);
            public sealed record Registered(int Id);
            [JsonSerializable(typeof(Registered))] internal partial class QuotesJson : JsonSerializerContext;
            """);

        var quote = diagnostics.Single(d => d.Id == "IPC0017");
        Assert.StartsWith("The stream item of 'Watch' has type 'Quote'", quote.GetMessage());
        Assert.Equal("global::Shop.Quote", quote.Properties["TypeName"]);
    }

    [Fact]
    public void IPC0017_judges_the_value_of_a_progress_parameter_not_the_IProgress()
    {
        var diagnostics = AnalyzerRunner.Verify(Prelude + """
            [RequestContract]
            public interface IJobs
            {
                Task Import(string path, IProgress<{|IPC0017:Status|}> progress);
                Task<int> Anything(IProgress<{|IPC0018:object|}>? progress);
                Task Fine(IProgress<Registered> progress, CancellationToken ct);
            }
            public sealed record Status(string Stage);
            public sealed record Registered(int Id);
            [JsonSerializable(typeof(Registered))] internal partial class JobsJson : JsonSerializerContext;
            """);

        var status = diagnostics.Single(d => d.Id == "IPC0017");
        Assert.StartsWith("The progress value of parameter 'progress' of 'Import' has type 'Status'", status.GetMessage());
        Assert.Equal("global::Shop.Status", status.Properties["TypeName"]);
    }

    [Fact]
    public void IPC0017_judges_the_items_of_a_stream_parameter_not_the_IAsyncEnumerable()
    {
        var diagnostics = AnalyzerRunner.Verify(Prelude + """
            [RequestContract]
            public interface IUploads
            {
                Task Upload(string name, IAsyncEnumerable<{|IPC0017:Chunk|}> chunks);
                IAsyncEnumerable<int> Anything(IAsyncEnumerable<{|IPC0018:object|}>? items);
                Task Fine(IAsyncEnumerable<Registered> items, CancellationToken ct);
            }
            public sealed record Chunk(int Index);
            public sealed record Registered(int Id);
            [JsonSerializable(typeof(Registered))] internal partial class UploadsJson : JsonSerializerContext;
            """);

        var chunk = diagnostics.Single(d => d.Id == "IPC0017");
        Assert.StartsWith("The stream item of parameter 'chunks' of 'Upload' has type 'Chunk'", chunk.GetMessage());
        Assert.Equal("global::Shop.Chunk", chunk.Properties["TypeName"]);
    }

    [Fact]
    public void IPC0017_near_miss_registered_reachable_and_built_in_types()
    {
        AnalyzerRunner.Verify(Prelude + """
            [RequestContract]
            public interface IOrders
            {
                Task<Order> GetAsync(Guid id, DateTimeOffset at, string? note, int? limit, byte[] data, List<string> tags, Dictionary<string, int> counts);
                Task<List<Line>> LinesAsync(Order order);
                Task<Customer> CustomerAsync(Customer? customer);
                Task<System.Text.Json.JsonElement> RawAsync(Uri uri, TimeSpan timeout, DateOnly day);
                Task<Dictionary<string, Tag>> TagsAsync(Kind kind);
            }
            public sealed record Order(Guid Id, List<Line> Lines, Customer Customer, Dictionary<string, Tag> Tags, Kind Kind);
            public sealed record Line(string Sku, int Quantity);
            public sealed class Customer { public string Name { get; set; } = ""; }
            public sealed record Tag(string Name);
            public enum Kind { A, B }
            [JsonSerializable(typeof(Order))] internal partial class OrderJson : JsonSerializerContext;
            """);
    }

    [Fact]
    public void IPC0017_ignored_members_and_fields_are_not_reached()
    {
        AnalyzerRunner.Verify(Prelude + """
            [RequestContract]
            public interface IOrders { Task<{|IPC0017:Hidden|}> A(); Task<{|IPC0017:Field|}> B(); Task<Included> C(); }
            public sealed class Order
            {
                [JsonIgnore] public Hidden? Hidden { get; set; }
                public Field? Field;
                [JsonInclude] public Included? Included;
            }
            public sealed record Hidden(int X);
            public sealed record Field(int X);
            public sealed record Included(int X);
            [JsonSerializable(typeof(Order))] internal partial class OrderJson : JsonSerializerContext;
            """);
    }

    [Fact]
    public void IPC0017_named_contexts_replace_the_declared_ones()
    {
        var diagnostics = AnalyzerRunner.Verify("""
            using System.Text.Json.Serialization;
            using System.Threading.Tasks;
            using IpcContracts;
            [assembly: IpcJsonContext(typeof(Shop.NamedJson))]
            namespace Shop;
            [RequestContract] public interface IInventory { Task<Named> A(); Task<{|IPC0017:Declared|}> B(); }
            public sealed record Named(int X);
            public sealed record Declared(int X);
            [JsonSerializable(typeof(Named))] internal partial class NamedJson : JsonSerializerContext;
            [JsonSerializable(typeof(Declared))] internal partial class OtherJson : JsonSerializerContext;
            """);

        Assert.Equal("Shop.NamedJson", diagnostics.Single().Properties["Context"]);
    }

    [Fact]
    public void IPC0017_without_any_context_the_fix_will_create_one()
    {
        var diagnostics = AnalyzerRunner.Verify(Prelude + """
            [RequestContract] public interface IInventory { Task<{|IPC0017:StockLevel|}> GetAsync(string sku); }
            public sealed record StockLevel(string Sku);
            """);

        Assert.Null(diagnostics.Single().Properties["Context"]);
        Assert.Contains("there is none yet", diagnostics.Single().GetMessage());
    }

    [Fact]
    public void IPC0018_types_without_aot_safe_metadata()
    {
        var diagnostics = AnalyzerRunner.Verify(Prelude + """
            [RequestContract]
            public interface IBad
            {
                Task<{|IPC0018:object|}> A({|IPC0008:dynamic|} d, {|IPC0018:IShape|} shape, {|IPC0018:Animal|} animal, {|IPC0008:Action<int>|} callback);
                Task B({|IPC0017:{|IPC0018:Envelope|}|} envelope, {|IPC0018:List<object>|} items);
            }
            public interface IShape { }
            public abstract class Animal { }
            public sealed record Envelope(string Kind, object Body);
            """);

        Assert.Contains("whose member 'Envelope.Body' has type 'object'", diagnostics.Single(d => d.Id == "IPC0018" && d.GetMessage().Contains("Envelope")).GetMessage());
    }

    [Fact]
    public void IPC0018_stream_and_delegate_members_are_not_told_to_use_JsonPolymorphic()
    {
        var diagnostics = AnalyzerRunner.Verify(Prelude + """
            [RequestContract]
            public interface IFiles
            {
                Task A({|IPC0018:Upload|} upload);
                Task B({|IPC0018:Job|} job);
                Task C({|IPC0018:Shape|} shape);
            }
            public sealed record Upload(string Name, System.IO.Stream Data);
            public sealed record Job(string Name, Action OnDone);
            public interface Shape { }
            [JsonSerializable(typeof(Upload))] [JsonSerializable(typeof(Job))] [JsonSerializable(typeof(Shape))]
            internal partial class FilesJson : JsonSerializerContext;
            """);

        var upload = diagnostics.Single(d => d.GetMessage().Contains("'Upload'")).GetMessage();
        Assert.Contains("byte streams (System.IO.Stream) other than a request method's own Stream parameter or Task<Stream> result are not supported in contracts", upload);
        Assert.True(!upload.Contains("JsonPolymorphic"), upload);
        var job = diagnostics.Single(d => d.GetMessage().Contains("'Job'")).GetMessage();
        Assert.True(!job.Contains("JsonPolymorphic"), job);
        Assert.Contains("[JsonPolymorphic]", diagnostics.Single(d => d.GetMessage().Contains("'Shape'")).GetMessage());
    }

    [Fact]
    public void IPC0018_near_miss_collections_polymorphism_and_json_dom()
    {
        AnalyzerRunner.Verify(Prelude + """
            [RequestContract]
            public interface IGood
            {
                Task<IReadOnlyList<int>> A(IEnumerable<string> names, IDictionary<string, int> counts);
                Task<Shape> B(Shape shape);
                Task<System.Text.Json.Nodes.JsonNode> C(System.Text.Json.Nodes.JsonObject body);
            }
            [JsonPolymorphic] [JsonDerivedType(typeof(Circle), "circle")]
            public abstract class Shape { }
            public sealed class Circle : Shape { public double Radius { get; set; } }
            [JsonSerializable(typeof(IReadOnlyList<int>))] [JsonSerializable(typeof(IEnumerable<string>))] [JsonSerializable(typeof(IDictionary<string, int>))]
            [JsonSerializable(typeof(Shape))] [JsonSerializable(typeof(System.Text.Json.Nodes.JsonNode))] [JsonSerializable(typeof(System.Text.Json.Nodes.JsonObject))]
            internal partial class GoodJson : JsonSerializerContext;
            """);
    }

    [Fact]
    public void IPC0019_ipc_json_context_naming_something_else()
    {
        AnalyzerRunner.Verify("""
            using System.Text.Json.Serialization;
            using IpcContracts;
            [assembly: IpcJsonContext(typeof({|IPC0019:string|}))]
            [assembly: IpcJsonContext(typeof({|IPC0019:Shop.AbstractJson|}))]
            [assembly: IpcJsonContext(typeof({|IPC0019:Shop.Holder.PrivateJson|}))]
            [assembly: IpcJsonContext(typeof(Shop.GoodJson))]
            namespace Shop;
            public sealed record Dto(int X);
            [JsonSerializable(typeof(Dto))] public abstract partial class AbstractJson : JsonSerializerContext;
            public partial class Holder { [JsonSerializable(typeof(Dto))] private partial class PrivateJson : JsonSerializerContext; }
            [JsonSerializable(typeof(Dto))] internal partial class GoodJson : JsonSerializerContext;
            """, ["CS0122", "CS0144"]);
    }
}
