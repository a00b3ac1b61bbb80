using IpcContracts.Analyzers.Tests.Infrastructure;

namespace IpcContracts.Analyzers.Tests;

/// <summary>IPC0001-IPC0014: each rule the generator's parser relies on, a case that triggers it and a near miss that must not.</summary>
public sealed class ContractShapeTests
{
    internal const string Prelude = """
        using System;
        using System.Collections.Generic;
        using System.Text.Json.Serialization;
        using System.Threading;
        using System.Threading.Tasks;
        using IpcContracts;
        namespace Shop;

        """;

    // ---- IPC0001 ----

    [Fact]
    public void IPC0001_contract_attribute_on_a_class()
    {
        // CS0592 (attribute not valid on this declaration) comes from the compiler as well; IPC0001 says what to do.
        AnalyzerRunner.Verify(Prelude + """
            [{|IPC0001:RequestContract|}]
            public class Inventory { }
            """, ["CS0592"]);
    }

    [Fact]
    public void IPC0001_near_miss_attribute_on_an_interface()
    {
        AnalyzerRunner.Verify(Prelude + """
            [RequestContract]
            public interface IInventory { Task<int> CountAsync(); }
            """);
    }

    // ---- IPC0002 ----

    [Fact]
    public void IPC0002_private_nested_contract()
    {
        AnalyzerRunner.Verify(Prelude + """
            public class Holder
            {
                [RequestContract] private interface {|IPC0002:IHidden|} { Task<int> CountAsync(); }
            }
            """);
    }

    [Fact]
    public void IPC0002_protected_nested_contract_and_inaccessible_base()
    {
        AnalyzerRunner.Verify(Prelude + """
            public class Holder
            {
                [RequestContract] protected interface {|IPC0002:IHidden|} { Task<int> CountAsync(); }
                private interface IPrivateBase { Task PingAsync(); }
                [RequestContract] internal interface {|IPC0002:IVisible|} : IPrivateBase { }
            }
            """, ["CS0061"]);
    }

    [Fact]
    public void IPC0002_near_miss_internal_nested_contract()
    {
        AnalyzerRunner.Verify(Prelude + """
            public class Holder
            {
                [RequestContract] internal interface IVisible { Task<int> CountAsync(); }
                [RequestContract] protected internal interface IAlsoVisible { Task<int> CountAsync(); }
            }
            """);
    }

    // ---- IPC0003 ----

    [Fact]
    public void IPC0003_generic_contract_and_contract_in_generic_type()
    {
        AnalyzerRunner.Verify(Prelude + """
            [RequestContract] public interface {|IPC0003:IRepository|}<T> { Task<int> CountAsync(); }
            public class Outer<T>
            {
                [EventContract] public interface {|IPC0003:IChanged|} { void Changed(int id); }
            }
            """);
    }

    [Fact]
    public void IPC0003_near_miss_generic_payload_type()
    {
        AnalyzerRunner.Verify(Prelude + """
            [RequestContract] public interface IRepository { Task<Page<int>> ListAsync(int page); }
            public sealed record Page<T>(T[] Items);
            [JsonSerializable(typeof(Page<int>))] internal partial class PageJson : JsonSerializerContext;
            """);
    }

    // ---- IPC0004 ----

    [Fact]
    public void IPC0004_both_contract_attributes()
    {
        AnalyzerRunner.Verify(Prelude + """
            [RequestContract, {|IPC0004:EventContract|}]
            public interface IConfused { Task PingAsync(); }
            """);
    }

    [Fact]
    public void IPC0004_near_miss_two_interfaces()
    {
        AnalyzerRunner.Verify(Prelude + """
            [RequestContract] public interface IRequests { Task PingAsync(); }
            [EventContract] public interface IEvents { Task Pinged(); }
            """);
    }

    // ---- IPC0005 ----

    [Fact]
    public void IPC0005_request_returns_value_void_or_by_ref()
    {
        AnalyzerRunner.Verify(Prelude + """
            [RequestContract]
            public interface IInventory
            {
                {|IPC0005:int|} Count();
                {|IPC0005:void|} Fire();
                {|IPC0005:ref Task|} ByRef();
            }
            """);
    }

    [Fact]
    public void IPC0005_a_bare_Stream_or_PipeReader_result_is_offered_a_task_of_it()
    {
        var diagnostics = AnalyzerRunner.Verify(Prelude + """
            [RequestContract]
            public interface IFiles
            {
                {|IPC0005:System.IO.Stream|} Open(string name);
                {|IPC0005:System.IO.Pipelines.PipeReader|} OpenPipe(string name);
            }
            [EventContract]
            public interface IFileEvents
            {
                {|IPC0006:Task<System.IO.Stream>|} Opened(string name);
            }
            """);

        Assert.Equal("Request method 'Open' returns 'Stream'; return Task<Stream> so the call can be awaited across the process boundary", diagnostics[0].GetMessage());
        Assert.Contains("return Task<PipeReader>", diagnostics[1].GetMessage());
        Assert.All(diagnostics.Where(d => d.Id == "IPC0005"), d => Assert.Equal("Wrap", d.Properties["ReturnFix"]));
    }

    [Fact]
    public void IPC0005_never_suggests_Task_of_a_type_that_cannot_be_a_payload()
    {
        var diagnostics = AnalyzerRunner.Verify(Prelude + """
            [RequestContract]
            public interface IInventory
            {
                {|IPC0005:int|} Count();
                {|IPC0005:Action|} Callback();
                {|IPC0005:Type|} Kind();
            }
            """);

        var count = diagnostics.Single(d => d.GetMessage().Contains("'Count'"));
        Assert.Contains("return Task<int>", count.GetMessage());
        Assert.Equal("Wrap", count.Properties["ReturnFix"]);
        foreach (var d in diagnostics.Where(d => !d.GetMessage().Contains("'Count'")))
        {
            Assert.DoesNotContain("Task<Action>", d.GetMessage());
            Assert.DoesNotContain("Task<Type>", d.GetMessage());
            Assert.Contains("of a type that can cross the process boundary", d.GetMessage());
            Assert.False(d.Properties.ContainsKey("ReturnFix"), d.GetMessage());
        }
    }

    // ---- IPC0027 ----

    [Fact]
    public void IPC0027_streams_progress_and_byte_streams_outside_their_own_places()
    {
        var diagnostics = AnalyzerRunner.Verify(Prelude + """
            [RequestContract]
            public interface IJobs
            {
                Task Upload({|IPC0027:List<IAsyncEnumerable<int>>|} batches);
                Task Feed(IAsyncEnumerable<{|IPC0027:IAsyncEnumerable<int>|}> items);
                Task Walk({|IPC0027:IAsyncEnumerator<int>|} items);
                IAsyncEnumerable<{|IPC0027:IAsyncEnumerable<int>|}> Nest();
                {|IPC0027:IAsyncEnumerator<int>|} Cursor();
                Task<{|IPC0027:List<IAsyncEnumerable<int>>|}> Nested();
                Task Notify({|IPC0027:List<IProgress<int>>|} listeners);
                Task<{|IPC0027:IProgress<int>|}> Reporter();
                {|IPC0027:IProgress<int>|} BareReporter();
                Task Relay(IProgress<{|IPC0027:IProgress<int>|}> progress);
                Task<{|IPC0027:System.IO.FileStream|}> Export();
                Task Save({|IPC0027:System.IO.MemoryStream|} data);
                {|IPC0027:System.IO.FileStream|} BareExport();
                Task Files({|IPC0027:List<System.IO.Stream>|} files);
                Task<{|IPC0027:System.IO.Stream[]|}> OpenAll();
                IAsyncEnumerable<{|IPC0027:System.IO.Stream|}> Each();
                Task Readers(IAsyncEnumerable<{|IPC0027:System.IO.Pipelines.PipeReader|}> readers);
                Task Report(IProgress<{|IPC0027:System.IO.Stream|}> progress);
                Task Sink({|IPC0027:System.IO.Pipelines.PipeWriter|} writer);
                Task<{|IPC0027:System.IO.Pipelines.PipeWriter|}> Writer();
                {|IPC0027:System.IO.Pipelines.PipeWriter|} BareWriter();
            }
            [EventContract]
            public interface IJobEvents
            {
                void Done({|IPC0027:List<IProgress<string>>|} progress);
                void Saved({|IPC0027:List<System.IO.Stream>|} files);
                void Sink({|IPC0027:System.IO.Pipelines.PipeWriter|} writer);
            }
            """);

        foreach (var d in diagnostics)
        {
            var message = d.GetMessage();
            Assert.Contains(" are not supported in contracts; remove it, and ", message);
            // The whole point: no suggestion that compiles and then fails at run time, such as the same type in a task (a
            // Stream or PipeReader in a task is the valid result the message may name).
            string type = System.Text.RegularExpressions.Regex.Match(message, "has type '([^']*)'").Groups[1].Value;
            if (type is not ("Stream" or "PipeReader"))
                Assert.DoesNotContain("Task<" + type + ">", message);
            Assert.DoesNotContain("JsonSerializable", message);
            Assert.DoesNotContain("JsonPolymorphic", message);
        }
    }

    [Fact]
    public void IPC0027_message_says_which_IAsyncEnumerable_is_supported()
    {
        var diagnostics = AnalyzerRunner.Verify(Prelude + """
            [RequestContract]
            public interface IJobs { Task Upload({|IPC0027:List<IAsyncEnumerable<int>>|} items); }
            """);

        Assert.Equal("Parameter 'items' of 'Upload' has type 'List<IAsyncEnumerable<int>>', and asynchronous streams (IAsyncEnumerable<T>) other than a request method's own result or parameter " +
                     "are not supported in contracts; remove it, and stream the values through the method's own IAsyncEnumerable<T> result or parameter, or pass them as a list",
                     diagnostics.Single().GetMessage());
    }

    [Fact]
    public void IPC0027_message_says_which_IProgress_is_supported()
    {
        var diagnostics = AnalyzerRunner.Verify(Prelude + """
            [RequestContract]
            public interface IJobs { Task Notify({|IPC0027:List<IProgress<int>>|} listeners); }
            """);

        Assert.Equal("Parameter 'listeners' of 'Notify' has type 'List<IProgress<int>>', and progress reports (IProgress<T>) other than a request method's own parameter " +
                     "are not supported in contracts; remove it, and report through one IProgress<T> parameter of the request method itself, or pass the values as a list",
                     diagnostics.Single().GetMessage());
    }

    [Fact]
    public void IPC0027_message_says_which_byte_streams_are_supported()
    {
        var diagnostics = AnalyzerRunner.Verify(Prelude + """
            [RequestContract]
            public interface IFiles
            {
                Task<{|IPC0027:System.IO.FileStream|}> Export();
                Task Import({|IPC0027:List<System.IO.Pipelines.PipeReader>|} readers);
                Task Sink({|IPC0027:System.IO.Pipelines.PipeWriter|} writer);
            }
            """);

        Assert.Equal("The result of 'Export' has type 'FileStream', and byte streams (System.IO.Stream) other than a request method's own Stream parameter or Task<Stream> result " +
                     "are not supported in contracts; remove it, and declare Stream itself as the request method's own parameter or Task<Stream> result, or pass the bytes as a byte[]",
                     diagnostics[0].GetMessage());
        Assert.Equal("Parameter 'readers' of 'Import' has type 'List<PipeReader>', and pipe readers (PipeReader) other than a request method's own PipeReader parameter or " +
                     "Task<PipeReader> result are not supported in contracts; remove it, and declare PipeReader itself as the request method's own parameter or Task<PipeReader> " +
                     "result, or pass the bytes as a byte[]", diagnostics[1].GetMessage());
        Assert.Equal("Parameter 'writer' of 'Sink' has type 'PipeWriter', and pipe writers (PipeWriter), a sink rather than a source of bytes, are not supported in contracts; " +
                     "remove it, and return the bytes as Task<PipeReader> or Task<Stream> (handler to caller), or take a PipeReader or Stream parameter (caller to handler)",
                     diagnostics[2].GetMessage());
    }

    [Fact]
    public void IPC0027_near_miss_request_methods_take_and_return_byte_streams_and_bytes()
    {
        // No JsonSerializerContext mentions a byte type, and none is needed (no IPC0017): generated code uses BinaryJson.
        AnalyzerRunner.Verify(Prelude + """
            [RequestContract]
            public interface IFiles : IBaseFiles
            {
                Task<System.IO.Stream> Open(string name, CancellationToken ct = default);
                ValueTask<System.IO.Stream?> TryOpen(string name);
                Task<System.IO.Pipelines.PipeReader> OpenPipe(string name);
                ValueTask<System.IO.Pipelines.PipeReader> OpenPipeLater(string name);
                Task<long> Upload(string name, System.IO.Stream content, CancellationToken ct = default);
                Task Drain(System.IO.Pipelines.PipeReader? reader);
                Task<System.IO.Stream> Transform(System.IO.Stream input, byte[] key, CancellationToken ct);
                IAsyncEnumerable<int> Split(System.IO.Pipelines.PipeReader input, int size);
                Task<System.IO.Stream> Join(IAsyncEnumerable<byte[]> parts);
                Task<byte[]?> Get(string name, byte[]? etag);
                Task<ReadOnlyMemory<byte>> Hash(ReadOnlyMemory<byte> data, int rounds);
                Task<System.Buffers.ReadOnlySequence<byte>> Repeat(System.Buffers.ReadOnlySequence<byte> data);
                IAsyncEnumerable<ReadOnlyMemory<byte>> Blocks(string name);
                Task Preview(string name, IProgress<byte[]> thumbnails);
            }
            public interface IBaseFiles { Task<System.IO.Stream> Inherited(System.IO.Stream content); }
            [EventContract]
            public interface IFileEvents
            {
                void Changed(string name, byte[] content);
                Task Truncated(System.Buffers.ReadOnlySequence<byte> tail, long length);
            }
            """);
    }

    [Fact]
    public void IPC0027_near_miss_request_methods_take_one_progress_parameter()
    {
        AnalyzerRunner.Verify(Prelude + """
            [RequestContract]
            public interface IJobs : IBaseJobs
            {
                Task Run(IProgress<int> progress);
                Task<Report> Import(string path, IProgress<Status>? progress, int retries, CancellationToken ct = default);
                ValueTask Warm(IProgress<string?> progress, CancellationToken ct);
                ValueTask<int> Count(string prefix, IProgress<double> @fixed);
                Task<List<int>> Batches(IProgress<List<Status>> progress);
            }
            public interface IBaseJobs { Task Inherited(IProgress<int> progress); }
            public sealed record Status(string Stage, int Percent);
            public sealed record Report(int Rows);
            [JsonSerializable(typeof(Status))]
            [JsonSerializable(typeof(List<Status>))]
            [JsonSerializable(typeof(Report))]
            internal partial class JobsJson : JsonSerializerContext;
            """);
    }

    [Fact]
    public void IPC0008_progress_values_follow_the_payload_rule()
    {
        var diagnostics = AnalyzerRunner.Verify(Prelude + """
            [RequestContract]
            public interface IJobs
            {
                Task Callbacks(IProgress<{|IPC0008:Action|}> progress);
                Task Tasks(string name, IProgress<{|IPC0008:Task<int>|}>? progress);
                Task<int> Spans(System.IProgress<{|IPC0008:List<Type>|}> progress, CancellationToken ct);
            }
            """);

        Assert.Equal("The progress value of parameter 'progress' of 'Callbacks' has type 'Action', which is a delegate and cannot be serialized; " +
                     "use a serializable, accessible type", diagnostics[0].GetMessage());
        Assert.All(diagnostics, d => Assert.StartsWith("The progress value of parameter 'progress' of '", d.GetMessage()));
    }

    [Fact]
    public void IPC0008_near_miss_a_progress_value_that_does_not_resolve_is_the_compilers_alone()
    {
        AnalyzerRunner.Verify(Prelude + """
            [RequestContract]
            public interface IJobs { Task Run(IProgress<Missing> progress); }
            """, ["CS0246"]);
    }

    [Fact]
    public void IPC0027_near_miss_request_methods_take_one_stream_parameter()
    {
        // Alone, with a result, arguments and a token, both ways, first with a token after it, nullable, inherited.
        AnalyzerRunner.Verify(Prelude + """
            [RequestContract]
            public interface IUploads : IBaseUploads
            {
                Task Push(IAsyncEnumerable<int> items);
                Task<Receipt> Upload(string name, IAsyncEnumerable<Chunk> chunks, int retries, CancellationToken ct = default);
                IAsyncEnumerable<Chunk> Echo(IAsyncEnumerable<Chunk> @in, CancellationToken ct);
                ValueTask<int> Count(IAsyncEnumerable<string?>? lines, string prefix, CancellationToken ct);
                ValueTask Drain(IAsyncEnumerable<List<Receipt>> batches);
            }
            public interface IBaseUploads { Task Inherited(IAsyncEnumerable<int> items); }
            public sealed record Chunk(int Index, byte[] Data);
            public sealed record Receipt(string Name, long Bytes);
            [JsonSerializable(typeof(Chunk))]
            [JsonSerializable(typeof(Receipt))]
            [JsonSerializable(typeof(List<Receipt>))]
            internal partial class UploadsJson : JsonSerializerContext;
            """);
    }

    [Fact]
    public void IPC0008_stream_parameter_items_follow_the_payload_rule()
    {
        var diagnostics = AnalyzerRunner.Verify(Prelude + """
            [RequestContract]
            public interface IUploads
            {
                Task Callbacks(IAsyncEnumerable<{|IPC0008:Action|}> items);
                IAsyncEnumerable<int> Tasks(string name, IAsyncEnumerable<{|IPC0008:Task<int>|}>? items);
                Task<int> Types(System.Collections.Generic.IAsyncEnumerable<{|IPC0008:List<Type>|}> items, CancellationToken ct);
            }
            """);

        Assert.Equal("The stream item of parameter 'items' of 'Callbacks' has type 'Action', which is a delegate and cannot be serialized; " +
                     "use a serializable, accessible type", diagnostics[0].GetMessage());
        Assert.All(diagnostics, d => Assert.StartsWith("The stream item of parameter 'items' of '", d.GetMessage()));
    }

    [Fact]
    public void IPC0008_near_miss_a_stream_parameter_item_that_does_not_resolve_is_the_compilers_alone()
    {
        AnalyzerRunner.Verify(Prelude + """
            [RequestContract]
            public interface IUploads { Task Push(IAsyncEnumerable<Missing> items); }
            """, ["CS0246"]);
    }

    // ---- IPC0030 ----

    [Fact]
    public void IPC0030_stream_parameters_a_call_cannot_carry()
    {
        var diagnostics = AnalyzerRunner.Verify(Prelude + """
            [RequestContract]
            public interface IUploads
            {
                Task Merge(IAsyncEnumerable<int> left, {|IPC0030:IAsyncEnumerable<string> right|});
                IAsyncEnumerable<int> Zip(IAsyncEnumerable<int> a, {|IPC0030:IAsyncEnumerable<int> b|}, CancellationToken ct = default);
                Task Import(IAsyncEnumerable<int> rows, IProgress<int> progress); // fine: progress next to a stream parameter
                Task<int> Count(IProgress<int> done, IAsyncEnumerable<int> rows);
                IAsyncEnumerable<int> Both(IAsyncEnumerable<int> rows, {|IPC0029:IProgress<int> progress|}); // a stream result reports with its items
                Task Three(IAsyncEnumerable<int> a, {|IPC0030:IAsyncEnumerable<int> b|}, {|IPC0030:IAsyncEnumerable<int> c|});
                Task Files(System.IO.Stream first, {|IPC0030:System.IO.Pipelines.PipeReader second|});
                Task<System.IO.Stream> Mixed(IAsyncEnumerable<int> items, {|IPC0030:System.IO.Stream data|});
                Task ImportBytes(System.IO.Stream data, IProgress<int> progress);
            }
            [EventContract]
            public interface IUploadEvents
            {
                void Received(string id, {|IPC0030:IAsyncEnumerable<int> items|});
                Task Sent({|IPC0030:IAsyncEnumerable<Action>? items|}); // removing the parameter is the fix, so its T is not judged
                void Saved(string name, {|IPC0030:System.IO.Stream data|});
                void Piped({|IPC0030:System.IO.Pipelines.PipeReader reader|});
            }
            """);

        var messages = diagnostics.Where(d => d.Id == "IPC0030").Select(d => d.GetMessage()).ToList();
        Assert.Equal("Parameter 'right' of 'Merge' has type 'IAsyncEnumerable<string>', but 'left' is already the method's stream parameter, and a call carries " +
                     "one argument stream; remove it, and send one stream of a type that carries both kinds of item, or make two calls", messages[0]);
        Assert.Contains("'a' is already the method's stream parameter", messages[2]);
        Assert.Equal("Parameter 'second' of 'Files' has type 'PipeReader', but 'first' is already the method's stream parameter, and a call carries one argument " +
                     "stream; remove it, and pass these bytes as a byte[] parameter, or make two calls", messages[4]);
        Assert.Contains("'items' is already the method's stream parameter", messages[5]);
        Assert.Equal("Parameter 'items' of 'Received' has type 'IAsyncEnumerable<int>', but an event is published to every subscriber without a call for the " +
                     "items to travel in; remove it, and publish each item as an event of its own, or make the method a request", messages[6]);
        Assert.Equal("Parameter 'data' of 'Saved' has type 'Stream', but an event is published to every subscriber without a call for the bytes to travel in; " +
                     "remove it, and pass the bytes as one byte[] parameter, or make the method a request", messages[8]);
        Assert.Equal(10, messages.Count);
    }

    [Fact]
    public void IPC0030_in_an_inherited_method_is_reported_at_the_contract()
    {
        AnalyzerRunner.Verify(Prelude + """
            public interface IBase { void Received(IAsyncEnumerable<int> items); }
            [EventContract]
            public interface {|IPC0030:IUploadEvents|} : IBase { void Stopped(); }
            """);
    }

    // ---- IPC0031 ----

    [Fact]
    public void IPC0031_at_most_one_binary_parameter_per_method()
    {
        var diagnostics = AnalyzerRunner.Verify(Prelude + """
            [RequestContract]
            public interface IBlobs
            {
                Task Two(byte[] a, {|IPC0031:byte[] b|});
                Task<int> Mixed(string name, ReadOnlyMemory<byte> head, int count, {|IPC0031:System.Buffers.ReadOnlySequence<byte> tail|}, CancellationToken ct = default);
                Task Three(byte[]? a, {|IPC0031:ReadOnlyMemory<byte> b|}, {|IPC0031:byte[] c|});
            }
            [EventContract]
            public interface IBlobEvents
            {
                void Stored(byte[] content, {|IPC0031:byte[] thumbnail|});
            }
            """);

        var messages = diagnostics.Select(d => d.GetMessage()).ToList();
        Assert.Equal("Parameter 'b' of 'Two' has type 'byte[]', but 'a' is already the method's binary parameter, and a call carries one parameter's bytes raw; " +
                     "remove it, and pass these bytes as a member of a DTO (base64 in the JSON arguments), or combine both into one binary parameter", messages[0]);
        Assert.Contains("has type 'ReadOnlySequence<byte>', but 'head' is already the method's binary parameter", messages[1]);
        Assert.Contains("'a' is already", messages[2]);
        Assert.Contains("'a' is already", messages[3]);
        Assert.Contains("Parameter 'thumbnail' of 'Stored'", messages[4]);
    }

    [Fact]
    public void IPC0031_near_miss_one_binary_parameter_with_streams_binary_results_and_bytes_inside_other_types()
    {
        // Only the three types themselves, as parameters, take the binary section: arrays of arrays, nullable memory,
        // lists and DTO members of bytes are JSON (base64), and results, stream items and progress values are not limited.
        AnalyzerRunner.Verify(Prelude + """
            [RequestContract]
            public interface IBlobs
            {
                Task<byte[]> Swap(byte[] data);
                Task<ReadOnlyMemory<byte>> WithStream(ReadOnlyMemory<byte> header, System.IO.Stream body);
                Task<int> WithItems(byte[] header, IAsyncEnumerable<byte[]> blocks);
                Task WithProgress(byte[] data, IProgress<byte[]> previews);
                Task Json(byte[] data, byte[][] jagged, List<byte[]> list, ReadOnlyMemory<byte>? maybe, Blob blob);
            }
            public sealed record Blob(byte[] Head, byte[] Tail);
            [JsonSerializable(typeof(byte[][]))]
            [JsonSerializable(typeof(List<byte[]>))]
            [JsonSerializable(typeof(ReadOnlyMemory<byte>?))]
            [JsonSerializable(typeof(Blob))]
            internal partial class BlobsJson : JsonSerializerContext;
            """);
    }

    [Fact]
    public void IPC0031_in_an_inherited_method_is_reported_at_the_contract()
    {
        AnalyzerRunner.Verify(Prelude + """
            public interface IBase { Task Put(byte[] a, byte[] b); }
            [RequestContract]
            public interface {|IPC0031:IBlobs|} : IBase { Task Ping(); }
            """);
    }

    // ---- IPC0032 ----

    [Fact]
    public void IPC0032_call_timeouts_no_deadline_can_have_and_timeouts_on_events()
    {
        var diagnostics = AnalyzerRunner.Verify(Prelude + """
            [RequestContract]
            public interface IOrders
            {
                [ContractMethod({|IPC0032:TimeoutMilliseconds = 0|})] Task Cancel(string id);
                [ContractMethod("refund", {|IPC0032:TimeoutMilliseconds = -5|})] Task Refund(string id);
                [ContractMethod(Id = 7, {|IPC0032:TimeoutMilliseconds = -2_000|})] IAsyncEnumerable<int> Watch();
            }
            [EventContract]
            public interface IOrderEvents
            {
                [ContractMethod({|IPC0032:TimeoutMilliseconds = 1000|})] void Placed(string id);
                [ContractMethod({|IPC0032:TimeoutMilliseconds = Timeout.Infinite|})] Task Shipped(string id);
            }
            """);

        var messages = diagnostics.Where(d => d.Id == "IPC0032").Select(d => d.GetMessage()).ToList();
        Assert.Equal("TimeoutMilliseconds = 0 on 'Cancel' would time every call out before it is sent (leaving it out keeps IpcOptions.DefaultCallTimeout); " +
                     "remove it, or use a positive number of milliseconds, or Timeout.Infinite for no deadline", messages[0]);
        Assert.Equal("TimeoutMilliseconds = -5 on 'Refund' is negative, and the only negative value with a meaning is Timeout.Infinite (-1); remove it, " +
                     "or use a positive number of milliseconds, or Timeout.Infinite for no deadline", messages[1]);
        Assert.StartsWith("TimeoutMilliseconds = -2000 on 'Watch' is negative", messages[2]);
        Assert.Equal("TimeoutMilliseconds = 1000 on 'Placed' does nothing, because an event is published to its subscribers and no caller waits for it; " +
                     "remove it, or make the method part of a [RequestContract] if the caller should wait", messages[3]);
        Assert.StartsWith("TimeoutMilliseconds = -1 on 'Shipped' does nothing", messages[4]);
        Assert.Equal(5, messages.Count);
    }

    [Fact]
    public void IPC0032_near_miss_positive_and_infinite_timeouts_on_request_methods()
    {
        AnalyzerRunner.Verify(Prelude + """
            [RequestContract]
            public interface IOrders
            {
                [ContractMethod(TimeoutMilliseconds = 1)] Task Ping();
                [ContractMethod(TimeoutMilliseconds = 120_000)] Task<int> Place(string cart, CancellationToken ct = default);
                [ContractMethod("next", Id = 9, TimeoutMilliseconds = Timeout.Infinite)] Task<string?> WaitForNext();
                [ContractMethod(TimeoutMilliseconds = int.MaxValue)] Task Export(IProgress<int> rows);
                [ContractMethod(TimeoutMilliseconds = 250)] IAsyncEnumerable<int> Watch(IAsyncEnumerable<int> filter);
            }
            [EventContract]
            public interface IOrderEvents
            {
                [ContractMethod("placed")] void Placed(string id);
            }
            """);
    }

    [Fact]
    public void IPC0032_in_an_inherited_method_is_reported_at_the_contract()
    {
        AnalyzerRunner.Verify(Prelude + """
            public interface IBase { [ContractMethod(TimeoutMilliseconds = -3)] Task Poll(); }
            [RequestContract]
            public interface {|IPC0032:IOrders|} : IBase { Task Place(); }
            """);
    }

    // ---- IPC0029 ----

    [Fact]
    public void IPC0029_progress_where_no_caller_receives_it()
    {
        var diagnostics = AnalyzerRunner.Verify(Prelude + """
            [RequestContract]
            public interface IJobs
            {
                Task Export(IProgress<int> rows, {|IPC0029:IProgress<string> stage|});
                IAsyncEnumerable<int> Tail(string id, {|IPC0029:IProgress<int> progress|}, CancellationToken ct = default);
                {|IPC0028:Task<IAsyncEnumerable<int>>|} TailLater({|IPC0029:IProgress<int> progress|});
                Task Three(IProgress<int> a, {|IPC0029:IProgress<int> b|}, {|IPC0029:IProgress<int> c|});
                Task<System.IO.Stream> Download(string name, {|IPC0029:IProgress<int> progress|});
                ValueTask<System.IO.Pipelines.PipeReader> DownloadPipe({|IPC0029:IProgress<long> progress|});
            }
            [EventContract]
            public interface IJobEvents
            {
                void Started(string id, {|IPC0029:IProgress<int> progress|});
                Task Stopped({|IPC0029:IProgress<Action>? progress|}); // removing the parameter is the fix, so its T is not judged
            }
            """);

        var progress = diagnostics.Where(d => d.Id == "IPC0029").Select(d => d.GetMessage()).ToList();
        Assert.Equal("Parameter 'stage' of 'Export' has type 'IProgress<string>', but 'rows' already reports progress, and a call has one progress channel; " +
                     "remove it, and report one type that carries every value", progress[0]);
        Assert.Equal("Parameter 'progress' of 'Tail' has type 'IProgress<int>', but the method returns IAsyncEnumerable<T>, whose items already reach the caller " +
                     "while the call runs; remove it, and yield progress as items of the stream, or return a task to keep the IProgress<T>", progress[1]);
        Assert.Contains("'a' already reports progress", progress[4]);
        Assert.Equal("Parameter 'progress' of 'Download' has type 'IProgress<int>', but the method returns a Stream, whose bytes already reach the caller while the " +
                     "call runs; remove it, and count the bytes as the caller reads them, or return a task of a value to keep the IProgress<T>", progress[5]);
        Assert.Contains("the method returns a PipeReader, whose bytes", progress[6]);
        Assert.Equal("Parameter 'progress' of 'Started' has type 'IProgress<int>', but an event method has no caller waiting for it to finish, so no one would " +
                     "receive its reports; remove it, and publish progress as an event of its own", progress[7]);
    }

    [Fact]
    public void IPC0029_in_an_inherited_method_is_reported_at_the_contract()
    {
        AnalyzerRunner.Verify(Prelude + """
            public interface IBase { void Started(IProgress<int> progress); }
            [EventContract]
            public interface {|IPC0029:IJobEvents|} : IBase { void Stopped(); }
            """);
    }

    [Fact]
    public void IPC0027_near_miss_request_methods_return_streams()
    {
        AnalyzerRunner.Verify(Prelude + """
            [RequestContract]
            public interface IQuotes
            {
                IAsyncEnumerable<int> Ticks();
                IAsyncEnumerable<string?> Symbols(string prefix, CancellationToken ct = default);
                IAsyncEnumerable<List<int>> Batches([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct);
            }
            """);
    }

    [Fact]
    public void IPC0006_event_methods_do_not_return_streams()
    {
        AnalyzerRunner.Verify(Prelude + """
            [EventContract]
            public interface IQuoteEvents
            {
                {|IPC0006:IAsyncEnumerable<int>|} Ticks();
                {|IPC0006:Task<IAsyncEnumerable<int>>|} Later();
            }
            """);
    }

    [Fact]
    public void IPC0008_stream_items_follow_the_payload_rule()
    {
        var diagnostics = AnalyzerRunner.Verify(Prelude + """
            [RequestContract]
            public interface IQuotes
            {
                IAsyncEnumerable<{|IPC0008:Action|}> Callbacks();
                IAsyncEnumerable<{|IPC0008:Task<int>|}> Tasks();
                IAsyncEnumerable<{|IPC0008:List<Type>|}> Types();
            }
            """);

        Assert.All(diagnostics, d => Assert.StartsWith("The stream item of '", d.GetMessage()));
    }

    // ---- IPC0028 ----

    [Fact]
    public void IPC0028_stream_inside_a_task()
    {
        var diagnostics = AnalyzerRunner.Verify(Prelude + """
            [RequestContract]
            public interface IQuotes
            {
                {|IPC0028:Task<IAsyncEnumerable<int>>|} Ticks();
                {|IPC0028:ValueTask<IAsyncEnumerable<Quote>>|} Watch(string symbol, CancellationToken ct);
                {|IPC0028:System.Threading.Tasks.Task<System.Collections.Generic.IAsyncEnumerable<string?>>|} Symbols();
            }
            public sealed record Quote(string Symbol);
            [JsonSerializable(typeof(Quote))] internal partial class QuotesJson : JsonSerializerContext;
            """);

        Assert.Equal("Request method 'Ticks' returns 'Task<IAsyncEnumerable<int>>'; return IAsyncEnumerable<int> itself: 'await foreach' already awaits the call, " +
                     "and the handler's async iterator can do its setup before the first yield", diagnostics[0].GetMessage());
        Assert.Contains("return IAsyncEnumerable<string?> itself", diagnostics[2].GetMessage());
        Assert.All(diagnostics, d => Assert.Equal("true", d.Properties["UnwrapFix"]));
    }

    [Fact]
    public void IPC0028_with_an_item_that_cannot_be_a_payload_reports_the_item_too_and_offers_no_fix()
    {
        var diagnostics = AnalyzerRunner.Verify(Prelude + """
            [RequestContract]
            public interface IQuotes
            {
                {|IPC0028:Task<IAsyncEnumerable<{|IPC0008:Action|}>>|} Callbacks();
                {|IPC0028:Task<IAsyncEnumerable<{|IPC0027:IProgress<int>|}>>|} Progress();
            }
            """);

        Assert.All(diagnostics.Where(d => d.Id == "IPC0028"), d => Assert.False(d.Properties.ContainsKey("UnwrapFix"), d.GetMessage()));
        Assert.StartsWith("The stream item of 'Callbacks' has type 'Action'", diagnostics.Single(d => d.Id == "IPC0008").GetMessage());
    }

    [Fact]
    public void IPC0028_near_miss_a_task_of_a_list_and_an_unresolved_item()
    {
        // Task<List<T>> is a single value; an item type that does not resolve is the compiler's error alone.
        AnalyzerRunner.Verify(Prelude + """
            [RequestContract]
            public interface IQuotes
            {
                Task<List<int>> All();
                Task<IAsyncEnumerable<Missing>> Broken();
            }
            """, ["CS0246"]);
    }

    [Fact]
    public void IPC0008_a_concrete_Progress_class_is_not_a_progress_parameter()
    {
        // Regression: Progress<T> passed the payload rule and travelled as "{}", so the caller's callback never ran.
        var diagnostics = AnalyzerRunner.Verify(Prelude + """
            [RequestContract]
            public interface IJobs
            {
                Task Run({|IPC0008:Progress<int>|} progress);
                Task Run2({|IPC0008:MyProgress|} progress);
                Task Run3(IProgress<int> progress);
            }
            public sealed class MyProgress : IProgress<int> { public void Report(int value) { } }
            """);

        Assert.All(diagnostics, d => Assert.Contains("declare the parameter as IProgress<T>", d.GetMessage()));
    }

    [Fact]
    public void IPC0008_types_that_compile_but_cannot_be_carried()
    {
        AnalyzerRunner.Verify(Prelude + """
            [RequestContract]
            public interface IOdd
            {
                Task A({|IPC0008:Action<int>|} callback, {|IPC0008:Type|} type, {|IPC0008:IntPtr|} handle);
                Task<{|IPC0008:Task<int>|}> B();
                Task<{|IPC0008:CancellationToken|}> C();
                Task D({|IPC0008:List<Func<int>>|} factories);
            }
            """);
    }

    [Fact]
    public void IPC0005_near_miss_all_four_task_shapes()
    {
        AnalyzerRunner.Verify(Prelude + """
            [RequestContract]
            public interface IInventory
            {
                Task A();
                Task<int> B();
                ValueTask C();
                ValueTask<string> D();
            }
            """);
    }

    // ---- IPC0006 ----

    [Fact]
    public void IPC0006_event_returns_a_value()
    {
        AnalyzerRunner.Verify(Prelude + """
            [EventContract]
            public interface IEvents
            {
                {|IPC0006:Task<int>|} Changed(int id);
                {|IPC0006:ValueTask<int>|} Moved(int id);
                {|IPC0006:int|} Removed(int id);
            }
            """);
    }

    [Fact]
    public void IPC0006_near_miss_void_task_valuetask()
    {
        AnalyzerRunner.Verify(Prelude + """
            [EventContract]
            public interface IEvents
            {
                void Changed(int id);
                Task Moved(int id);
                ValueTask Removed(int id);
            }
            """);
    }

    // ---- IPC0007 ----

    [Fact]
    public void IPC0007_by_reference_parameters()
    {
        AnalyzerRunner.Verify(Prelude + """
            [RequestContract]
            public interface ICalc
            {
                Task A({|IPC0007:ref int x|});
                Task B({|IPC0007:out int x|});
                Task C({|IPC0007:in int x|});
                Task D({|IPC0007:ref readonly int x|});
                Task E(int a, {|IPC0007:__arglist|});
            }
            """);
    }

    [Fact]
    public void IPC0007_near_miss_params_and_value_parameters()
    {
        AnalyzerRunner.Verify(Prelude + """
            [RequestContract]
            public interface ICalc
            {
                Task<int> SumAsync(params int[] values);
                Task<int> AddAsync(int a, int b);
            }
            """);
    }

    // ---- IPC0008 ----

    [Fact]
    public void IPC0008_types_that_cannot_cross()
    {
        AnalyzerRunner.Verify(Prelude + """
            public class Holder
            {
                private sealed record Secret(int X);
                [RequestContract]
                public interface IBad
                {
                    unsafe Task A({|IPC0008:int*|} p);
                    unsafe Task B({|IPC0008:delegate*<void>|} p);
                    Task C({|IPC0008:Span<int>|} s);
                    Task<{|IPC0008:Secret|}> D();
                    Task E({|IPC0008:List<Secret>|} secrets);
                }
            }
            """, ["CS0050", "CS0051"]);
    }

    [Fact]
    public void IPC0008_event_with_ref_struct()
    {
        AnalyzerRunner.Verify(Prelude + """
            [EventContract]
            public interface IBad { void Received({|IPC0008:ReadOnlySpan<byte>|} data); }
            """);
    }

    [Fact]
    public void IPC0008_near_miss_arrays_and_nested_public_types()
    {
        AnalyzerRunner.Verify(Prelude + """
            public partial class Holder
            {
                public sealed record Visible(int X);
                [RequestContract]
                public interface IGood
                {
                    Task<Visible> A(byte[] data, int[][] jagged);
                }
                [JsonSerializable(typeof(Visible))] [JsonSerializable(typeof(int[][]))] internal partial class HolderJson : JsonSerializerContext;
            }
            """);
    }

    [Fact]
    public void Unresolved_types_are_left_to_the_compiler()
    {
        var diagnostics = AnalyzerRunner.Run(Prelude + """
            [RequestContract] public interface IBad { Task<Missing> A(Missing x); }
            """);

        Assert.Empty(diagnostics);
    }

    // ---- IPC0009 ----

    [Fact]
    public void IPC0009_generic_method()
    {
        AnalyzerRunner.Verify(Prelude + """
            [RequestContract]
            public interface IBad { Task<T> {|IPC0009:Get|}<T>(string key); }
            """);
    }

    [Fact]
    public void IPC0009_near_miss_generic_payload()
    {
        AnalyzerRunner.Verify(Prelude + """
            [RequestContract]
            public interface IGood { Task<List<string>> GetAsync(string key); }
            """);
    }

    // ---- IPC0010 ----

    [Fact]
    public void IPC0010_properties_events_indexers_defaults_statics()
    {
        AnalyzerRunner.Verify(Prelude + """
            public interface IBase { int Count { get; } Task PingAsync(); }
            [RequestContract]
            public interface {|IPC0010:IBad|} : IBase
            {
                int {|IPC0010:Size|} { get; }
                event EventHandler {|IPC0010:Changed|};
                int {|IPC0010:this|}[int i] { get; }
                Task {|IPC0010:DefaultAsync|}() => Task.CompletedTask;
                static abstract Task {|IPC0010:Create|}();
            }
            """);
    }

    [Fact]
    public void IPC0010_near_miss_static_helpers_constants_and_nested_types()
    {
        AnalyzerRunner.Verify(Prelude + """
            [RequestContract]
            public interface IGood
            {
                const int Version = 2;
                static string Describe() => "inventory";
                public sealed class Names { }
                Task<int> CountAsync();
            }
            """);
    }

    // ---- IPC0011 / IPC0012 ----

    [Fact]
    public void IPC0011_cancellation_token_not_last()
    {
        AnalyzerRunner.Verify(Prelude + """
            [RequestContract]
            public interface IBad { Task<int> CountAsync({|IPC0011:CancellationToken ct|}, string sku); }
            """);
    }

    [Fact]
    public void IPC0012_two_cancellation_tokens()
    {
        AnalyzerRunner.Verify(Prelude + """
            [RequestContract]
            public interface IBad { Task<int> CountAsync(string sku, CancellationToken a, {|IPC0012:CancellationToken b|}); }
            """);
    }

    [Fact]
    public void IPC0011_IPC0012_near_miss_single_trailing_token_with_default()
    {
        AnalyzerRunner.Verify(Prelude + """
            [RequestContract]
            public interface IGood
            {
                Task<int> CountAsync(string sku, CancellationToken ct = default);
                Task<int> OnlyTokenAsync(CancellationToken ct);
            }
            """);
    }

    // ---- IPC0013 / IPC0014 ----

    [Fact]
    public void IPC0013_overloads_without_aliases()
    {
        AnalyzerRunner.Verify(Prelude + """
            [RequestContract]
            public interface IBad
            {
                Task<int> Find(string sku);
                Task<int> {|IPC0013:Find|}(int id);
                Task<int> {|IPC0013:Find|}(int id, CancellationToken ct);
            }
            """);
    }

    [Fact]
    public void IPC0013_near_miss_overload_with_alias()
    {
        AnalyzerRunner.Verify(Prelude + """
            [RequestContract]
            public interface IGood
            {
                Task<int> Find(string sku);
                [ContractMethod("FindById")] Task<int> Find(int id);
            }
            """);
    }

    [Fact]
    public void IPC0014_duplicate_method_ids_and_aliases()
    {
        AnalyzerRunner.Verify(Prelude + """
            public interface IBase { Task PingAsync(); }
            [RequestContract]
            public interface {|IPC0014:IBad|} : IBase
            {
                [ContractMethod(Id = 5)] Task A();
                [ContractMethod(Id = 5)] Task {|IPC0014:B|}();
                [ContractMethod("same")] Task C();
                [ContractMethod("same", Id = 7)] Task {|IPC0014:D|}();
                [ContractMethod("PingAsync")] Task Ping2();
            }
            """);
    }

    [Fact]
    public void IPC0014_near_miss_distinct_ids()
    {
        AnalyzerRunner.Verify(Prelude + """
            [RequestContract]
            public interface IGood
            {
                [ContractMethod(Id = 5)] Task A();
                [ContractMethod(Id = 6)] Task B();
                [ContractMethod("c")] Task C();
            }
            """);
    }

    [Fact]
    public void Inherited_members_are_reported_at_the_contract()
    {
        AnalyzerRunner.Verify(Prelude + """
            public interface IBase { int Get(); }
            [RequestContract] public interface {|IPC0005:IDerived|} : IBase { Task PingAsync(); }
            """);
    }

    [Fact]
    public void Half_typed_declarations_are_left_to_the_compiler()
    {
        var diagnostics = AnalyzerRunner.Run(Prelude + """
            [RequestContract] public interface IBad { int Get(
            """);

        Assert.Empty(diagnostics);
    }
}
