using System.Reflection;
using System.Runtime.Loader;
using IpcContracts.Generators.Tests.Infrastructure;

namespace IpcContracts.Generators.Tests;

/// <summary>
/// Executes generated code: a proxy writes arguments, a loopback channel hands the bytes to the generated
/// dispatcher (and scribbles over them as soon as DispatchAsync returns, proving arguments are parsed before
/// the first await), the dispatcher invokes a real implementation and replies (a stream result item by item).
/// </summary>
public sealed class RoundTripTests
{
    private const string Contracts = """
        using System;
        using System.Collections.Generic;
        using System.Text.Json.Serialization;
        using System.Threading;
        using System.Threading.Tasks;
        using IpcContracts;

        namespace RoundTrip;

        [RequestContract("roundtrip.inventory")]
        public interface IInventory
        {
            Task<StockLevel> GetStockAsync(string sku, CancellationToken ct = default);
            Task ReserveAsync(Reservation reservation, CancellationToken ct = default);
            ValueTask<Page<StockLevel>> ListAsync(int skip, int take, string? filter);
            ValueTask<int> SlowAsync(int delayMs);
            Task<string> EchoAsync(string @class, params string[] @params);
            Task PingAsync();
            ValueTask<bool> TokenIsLiveAsync(CancellationToken ct);
            Task<Unregistered> MissingAsync();
        }

        [RequestContract("roundtrip.feed")]
        public interface IFeed
        {
            IAsyncEnumerable<StockLevel> Watch(string sku, int count, CancellationToken ct = default);
            IAsyncEnumerable<int> Ticks();
        }

        [RequestContract("roundtrip.jobs")]
        public interface IJobs
        {
            Task<int> ImportAsync(string path, IProgress<StockLevel>? progress, int rows, CancellationToken ct = default);
            ValueTask WarmAsync(IProgress<int> progress);
        }

        [RequestContract("roundtrip.uploads")]
        public interface IUploads
        {
            Task<int> UploadAsync(string name, IAsyncEnumerable<StockLevel> levels, int factor, CancellationToken ct = default);
            ValueTask PushAsync(IAsyncEnumerable<int> items);
            IAsyncEnumerable<string> EchoAsync(IAsyncEnumerable<StockLevel> levels, string prefix);
        }

        [EventContract("roundtrip.events")]
        public interface IEvents
        {
            void StockChanged(StockChanged e);
            Task Cleared();
        }

        public sealed record StockLevel(string Sku, int OnHand);
        public sealed record Reservation(string Sku, int Quantity);
        public sealed record StockChanged(string Sku, int OnHand);
        public sealed record Unregistered(int Id); // in no JsonSerializerContext
        public sealed class Page<T> { public List<T> Items { get; set; } = new(); public int Total { get; set; } }

        [JsonSerializable(typeof(StockLevel))]
        [JsonSerializable(typeof(Reservation))]
        [JsonSerializable(typeof(StockChanged))]
        [JsonSerializable(typeof(Page<StockLevel>))]
        internal partial class RoundTripJson : JsonSerializerContext;
        """;

    private const string Harness = """
        using System;
        using System.Buffers;
        using System.Collections.Generic;
        using System.Runtime.CompilerServices;
        using System.Text.Json;
        using System.Text.Json.Serialization.Metadata;
        using System.Threading;
        using System.Threading.Tasks;
        using IpcContracts;
        using IpcContracts.Runtime;

        namespace RoundTrip;

        public static class Runner
        {
            private static async IAsyncEnumerable<T> Produce<T>(params T[] items)
            {
                foreach (var item in items)
                {
                    await Task.Yield();
                    yield return item;
                }
            }

            public static async Task<string> RunAsync()
            {
                var log = new List<string>();
                var inventory = ContractRegistry.Get<IInventory>(ContractKind.Request);
                var proxy = inventory.CreateProxy(new Loopback<IInventory>(inventory, new Inventory(log)));

                var level = await proxy.GetStockAsync("A-1");
                log.Add($"stock {level.Sku} {level.OnHand}");
                await proxy.ReserveAsync(new Reservation("A-1", 2));
                var page = await proxy.ListAsync(1, 2, null);
                log.Add($"page {page.Total} {page.Items.Count} {page.Items[0].Sku}");
                log.Add($"slow {await proxy.SlowAsync(20)}");
                log.Add($"echo {await proxy.EchoAsync("c", "x", "y")}");
                await proxy.PingAsync();
                log.Add($"token {await proxy.TokenIsLiveAsync(CancellationToken.None)}");

                var events = ContractRegistry.Get<IEvents>(ContractKind.Event);
                var publisher = events.CreateProxy(new Loopback<IEvents>(events, new Listener(log)));
                publisher.StockChanged(new StockChanged("A-1", 41));
                await publisher.Cleared();

                // Streams: the proxy hands its arguments and token to IOutboundChannel.Stream, the dispatcher hands the
                // handler's stream to InboundCall.ReplyStreamAsync (the loopback's call enumerates it with its token).
                var feedDescriptor = ContractRegistry.Get<IFeed>(ContractKind.Request);
                var feed = feedDescriptor.CreateProxy(new Loopback<IFeed>(feedDescriptor, new Feed(log)));
                using var cts = new CancellationTokenSource();
                var watched = new List<string>();
                await foreach (var item in feed.Watch("W-1", 3, cts.Token))
                    watched.Add(item.Sku + "#" + item.OnHand);
                log.Add("watch " + string.Join(",", watched));
                var ticks = new List<int>();
                await foreach (var tick in feed.Ticks())
                    ticks.Add(tick);
                log.Add("ticks " + string.Join(",", ticks));

                // Progress: the proxy hands the caller's IProgress<T> (or null) to the channel's progress overload; the
                // dispatcher gives the handler call.Progress<T>, whose reports the loopback carries back as JSON.
                var jobsDescriptor = ContractRegistry.Get<IJobs>(ContractKind.Request);
                var jobs = jobsDescriptor.CreateProxy(new Loopback<IJobs>(jobsDescriptor, new Jobs(log)));
                log.Add($"imported {await jobs.ImportAsync("R-1", new Recorder<StockLevel>(log, s => s.Sku + "#" + s.OnHand), 2, cts.Token)}");
                log.Add($"imported quietly {await jobs.ImportAsync("R-2", null, 3)}");
                await jobs.WarmAsync(new Recorder<int>(log, i => i.ToString()));

                // Argument streams: the proxy hands the caller's sequence to the channel's RequestStreamingAsync/Stream overloads (the
                // loopback carries each item as JSON); the dispatcher gives the handler call.ArgumentStream<T> in the parameter's place.
                var uploadsDescriptor = ContractRegistry.Get<IUploads>(ContractKind.Request);
                var uploads = uploadsDescriptor.CreateProxy(new Loopback<IUploads>(uploadsDescriptor, new Uploads(log)));
                log.Add($"uploaded {await uploads.UploadAsync("U-1", Produce(new StockLevel("a", 1), new StockLevel("b", 2)), 10, cts.Token)}");
                await uploads.PushAsync(Produce(5, 6, 7));
                await uploads.PushAsync(Produce<int>());
                var echoed = new List<string>();
                await foreach (var line in uploads.EchoAsync(Produce(new StockLevel("c", 3), new StockLevel("d", 4)), ">"))
                    echoed.Add(line);
                log.Add("echoed " + string.Join(",", echoed));
                try { await uploads.PushAsync(null!); }
                catch (ArgumentNullException e) { log.Add("null stream: " + e.ParamName); }

                // Unknown members are skipped and missing ones stay default: {"extra":1} for GetStockAsync(sku).
                var call = new Call(inventory.Methods[0].Id, "{\"extra\":[1,{\"a\":2}],\"sku\":\"B-2\"}");
                await inventory.DispatchAsync(new Inventory(log), call);
                log.Add($"tolerant {call.ReplyText}");
                call = new Call(inventory.Methods[0].Id, "{}");
                await inventory.DispatchAsync(new Inventory(log), call);
                log.Add($"missing {call.ReplyText}");

                try { await inventory.DispatchAsync(new Inventory(log), new Call(0xDEADBEEF, "{}")); }
                catch (ContractMismatchException e) { log.Add("unknown method: " + e.GetType().Name); }

                // Generated plumbing is marked [Obsolete] (so obsolete contracts raise nothing inside it); only this test names it.
                #pragma warning disable CS0618
                try { _ = IpcContracts.Generated.IpcJsonTypes.RoundTrip_Unregistered; }
                #pragma warning restore CS0618
                catch (IpcConfigurationException e) { log.Add("missing metadata: " + e.Message.Split('.')[0]); }

                log.Add($"registered {MessageTypeRegistry.Get<StockLevel>().Name} {MessageTypeRegistry.Get<StockLevel>().Id:X8}");
                log.Add($"ids {inventory.Id:X8} {inventory.Alias} {inventory.Methods.Count}");
                return string.Join("\n", log);
            }
        }

        sealed class Inventory(List<string> log) : IInventory
        {
            public Task<StockLevel> GetStockAsync(string sku, CancellationToken ct) => Task.FromResult(new StockLevel(sku ?? "no-sku", 41));
            public Task ReserveAsync(Reservation r, CancellationToken ct) { log.Add($"reserve {r.Sku} {r.Quantity}"); return Task.CompletedTask; }
            public ValueTask<Page<StockLevel>> ListAsync(int skip, int take, string? filter) =>
                new(new Page<StockLevel> { Total = skip + take, Items = { new StockLevel(filter ?? "none", take) } });
            public async ValueTask<int> SlowAsync(int delayMs) { await Task.Delay(delayMs); return delayMs * 2; }
            public Task<string> EchoAsync(string @class, params string[] @params) => Task.FromResult(@class + ":" + string.Join(",", @params));
            public Task PingAsync() { log.Add("ping"); return Task.CompletedTask; }
            public ValueTask<bool> TokenIsLiveAsync(CancellationToken ct) => new(ct.CanBeCanceled);
            public Task<Unregistered> MissingAsync() => Task.FromResult(new Unregistered(1));
        }

        sealed class Feed(List<string> log) : IFeed
        {
            public async IAsyncEnumerable<StockLevel> Watch(string sku, int count, [EnumeratorCancellation] CancellationToken ct = default)
            {
                log.Add($"watching {sku} token {ct.CanBeCanceled}");
                for (int i = 1; i <= count; i++)
                {
                    await Task.Yield();
                    yield return new StockLevel(sku, i);
                }
            }

            public async IAsyncEnumerable<int> Ticks()
            {
                await Task.Yield();
                yield return 7;
                yield return 8;
            }
        }

        sealed class Uploads(List<string> log) : IUploads
        {
            public async Task<int> UploadAsync(string name, IAsyncEnumerable<StockLevel> levels, int factor, CancellationToken ct)
            {
                int total = 0;
                await foreach (var level in levels.WithCancellation(ct))
                {
                    log.Add($"received {name} {level.Sku}#{level.OnHand}");
                    total += level.OnHand;
                }
                return total * factor;
            }

            public async ValueTask PushAsync(IAsyncEnumerable<int> items)
            {
                var all = new List<int>();
                await foreach (var item in items)
                    all.Add(item);
                log.Add("pushed [" + string.Join(",", all) + "]");
            }

            public async IAsyncEnumerable<string> EchoAsync(IAsyncEnumerable<StockLevel> levels, string prefix)
            {
                await foreach (var level in levels)
                    yield return prefix + level.Sku + level.OnHand;
            }
        }

        sealed class Jobs(List<string> log) : IJobs
        {
            public Task<int> ImportAsync(string path, IProgress<StockLevel>? progress, int rows, CancellationToken ct)
            {
                log.Add($"importing {path} {rows} token {ct.CanBeCanceled}");
                for (int i = 1; i <= rows; i++)
                    progress!.Report(new StockLevel(path, i));
                return Task.FromResult(rows * 10);
            }

            public async ValueTask WarmAsync(IProgress<int> progress)
            {
                await Task.Yield();
                progress.Report(50);
                progress.Report(100);
            }
        }

        /// <summary>Reports synchronously (Progress&lt;T&gt; would post to the thread pool and make the log's order racy).</summary>
        sealed class Recorder<T>(List<string> log, Func<T, string> show) : IProgress<T>
        {
            public void Report(T value) => log.Add("progress " + show(value));
        }

        sealed class Listener(List<string> log) : IEvents
        {
            public void StockChanged(StockChanged e) => log.Add($"event {e.Sku} {e.OnHand}");
            public Task Cleared() { log.Add("cleared"); return Task.CompletedTask; }
        }

        /// <summary>Sends straight into the generated dispatcher; the "wire" bytes are destroyed once DispatchAsync returns.</summary>
        sealed class Loopback<T>(ContractDescriptor<T> descriptor, T target) : IOutboundChannel where T : class
        {
            public async Task<TResult> RequestAsync<TArgs, TResult>(MethodDescriptor method, TArgs args, ArgsWriter<TArgs> writeArgs, JsonTypeInfo<TResult> resultType, CancellationToken ct)
            {
                var call = await SendAsync(method, args, writeArgs);
                return JsonSerializer.Deserialize(call.ReplyText!, resultType)!;
            }

            public async Task RequestAsync<TArgs>(MethodDescriptor method, TArgs args, ArgsWriter<TArgs> writeArgs, CancellationToken ct)
            {
                var call = await SendAsync(method, args, writeArgs);
                if (call.ReplyText != "<empty>") throw new InvalidOperationException("expected an empty reply, got " + call.ReplyText);
            }

            public async Task<TResult> RequestAsync<TArgs, TResult, TProgress>(MethodDescriptor method, TArgs args, ArgsWriter<TArgs> writeArgs, JsonTypeInfo<TResult> resultType,
                IProgress<TProgress>? progress, JsonTypeInfo<TProgress> progressType, CancellationToken ct)
            {
                var call = await SendAsync(method, args, writeArgs, ct, json => progress?.Report(JsonSerializer.Deserialize(json, progressType)!));
                return JsonSerializer.Deserialize(call.ReplyText!, resultType)!;
            }

            public async Task RequestAsync<TArgs, TProgress>(MethodDescriptor method, TArgs args, ArgsWriter<TArgs> writeArgs,
                IProgress<TProgress>? progress, JsonTypeInfo<TProgress> progressType, CancellationToken ct)
            {
                var call = await SendAsync(method, args, writeArgs, ct, json => progress?.Report(JsonSerializer.Deserialize(json, progressType)!));
                if (call.ReplyText != "<empty>") throw new InvalidOperationException("expected an empty reply, got " + call.ReplyText);
            }

            public async Task<TResult> RequestStreamingAsync<TArgs, TResult, TArgItem>(MethodDescriptor method, TArgs args, ArgsWriter<TArgs> writeArgs, JsonTypeInfo<TResult> resultType,
                IAsyncEnumerable<TArgItem> argumentItems, JsonTypeInfo<TArgItem> argumentItemType, CancellationToken ct)
            {
                var call = await SendAsync(method, args, writeArgs, ct, argumentItems: await SerializeAll(argumentItems, argumentItemType));
                return JsonSerializer.Deserialize(call.ReplyText!, resultType)!;
            }

            public async Task RequestStreamingAsync<TArgs, TArgItem>(MethodDescriptor method, TArgs args, ArgsWriter<TArgs> writeArgs,
                IAsyncEnumerable<TArgItem> argumentItems, JsonTypeInfo<TArgItem> argumentItemType, CancellationToken ct)
            {
                var call = await SendAsync(method, args, writeArgs, ct, argumentItems: await SerializeAll(argumentItems, argumentItemType));
                if (call.ReplyText != "<empty>") throw new InvalidOperationException("expected an empty reply, got " + call.ReplyText);
            }

            public async IAsyncEnumerable<TItem> Stream<TArgs, TItem, TArgItem>(MethodDescriptor method, TArgs args, ArgsWriter<TArgs> writeArgs, JsonTypeInfo<TItem> itemType,
                IAsyncEnumerable<TArgItem> argumentItems, JsonTypeInfo<TArgItem> argumentItemType, [EnumeratorCancellation] CancellationToken ct)
            {
                var call = await SendAsync(method, args, writeArgs, ct, argumentItems: await SerializeAll(argumentItems, argumentItemType));
                foreach (var json in call.StreamItems ?? throw new InvalidOperationException("expected a stream reply, got " + call.ReplyText))
                    yield return JsonSerializer.Deserialize(json, itemType)!;
            }

            /// <summary>The loopback sends the caller's items ahead of the call (the real channel sends them alongside it under credit).</summary>
            private static async Task<List<string>> SerializeAll<TItem>(IAsyncEnumerable<TItem> items, JsonTypeInfo<TItem> typeInfo)
            {
                var all = new List<string>();
                await foreach (var item in items)
                    all.Add(JsonSerializer.Serialize(item, typeInfo));
                return all;
            }

            public void Publish<TArgs>(MethodDescriptor method, TArgs args, ArgsWriter<TArgs> writeArgs) => SendAsync(method, args, writeArgs).GetAwaiter().GetResult();

            public async IAsyncEnumerable<TItem> Stream<TArgs, TItem>(MethodDescriptor method, TArgs args, ArgsWriter<TArgs> writeArgs, JsonTypeInfo<TItem> itemType,
                [EnumeratorCancellation] CancellationToken ct)
            {
                var call = await SendAsync(method, args, writeArgs, ct);
                foreach (var json in call.StreamItems ?? throw new InvalidOperationException("expected a stream reply, got " + call.ReplyText))
                    yield return JsonSerializer.Deserialize(json, itemType)!;
            }

            private async Task<Call> SendAsync<TArgs>(MethodDescriptor method, TArgs args, ArgsWriter<TArgs> writeArgs, CancellationToken? token = null, Action<string>? progress = null,
                List<string>? argumentItems = null)
            {
                var buffer = new ArrayBufferWriter<byte>();
                using (var writer = new Utf8JsonWriter(buffer))
                {
                    writer.WriteStartObject();
                    writeArgs(writer, args);
                    writer.WriteEndObject();
                }
                var bytes = buffer.WrittenSpan.ToArray();
                var call = new Call(method.Id, bytes, token, progress, argumentItems);
                var pending = descriptor.DispatchAsync(target, call);
                Array.Fill(bytes, (byte)'#'); // the payload is released once DispatchAsync returns
                await pending;
                return call;
            }
        }

        sealed class Call(uint methodId, byte[] payload, CancellationToken? token = null, Action<string>? progress = null, List<string>? argumentItems = null) : InboundCall
        {
            public Call(uint methodId, string json) : this(methodId, System.Text.Encoding.UTF8.GetBytes(json)) { }
            public string? ReplyText { get; private set; }
            public List<string>? StreamItems { get; private set; }
            public override uint MethodId => methodId;
            public override ReadOnlySequence<byte> Payload => new(payload);
            public override CancellationToken CancellationToken { get; } = token ?? new CancellationTokenSource().Token;
            public override IpcConnection Connection => throw new NotSupportedException();
            public override void Reply<TValue>(TValue value, JsonTypeInfo<TValue> typeInfo) => ReplyText = JsonSerializer.Serialize(value, typeInfo);
            public override void ReplyEmpty() => ReplyText = "<empty>";
            public override IProgress<T> Progress<T>(JsonTypeInfo<T> typeInfo) =>
                new Sink<T>(typeInfo, progress ?? throw new InvalidOperationException("the proxy did not use a progress overload"));
            public override async IAsyncEnumerable<T> ArgumentStream<T>(JsonTypeInfo<T> typeInfo)
            {
                foreach (var json in argumentItems ?? throw new InvalidOperationException("the proxy did not use an argument-stream overload"))
                {
                    await Task.Yield();
                    yield return JsonSerializer.Deserialize(json, typeInfo)!;
                }
            }
            public override async ValueTask ReplyStreamAsync<TItem>(IAsyncEnumerable<TItem> items, JsonTypeInfo<TItem> typeInfo)
            {
                var sent = new List<string>();
                await foreach (var item in items.WithCancellation(CancellationToken))
                    sent.Add(JsonSerializer.Serialize(item, typeInfo));
                StreamItems = sent;
            }
        }

        sealed class Sink<T>(JsonTypeInfo<T> typeInfo, Action<string> send) : IProgress<T>
        {
            public void Report(T value) => send(JsonSerializer.Serialize(value, typeInfo));
        }
        """;

    [Fact]
    public async Task Proxy_and_dispatcher_round_trip_every_shape()
    {
        var result = GeneratorRunner.Run(new[] { Contracts, Harness }, withSystemTextJson: true);
        var problems = result.Output.Problems().ToList();
        Assert.True(problems.Count == 0, TestCompilation.Describe(problems));

        using var pe = new MemoryStream();
        var emit = result.Output.Emit(pe);
        Assert.True(emit.Success, TestCompilation.Describe(emit.Diagnostics));
        pe.Position = 0;
        var assembly = new AssemblyLoadContext("RoundTrip", isCollectible: true).LoadFromStream(pe);

        var run = (Task<string>)assembly.GetType("RoundTrip.Runner")!.GetMethod("RunAsync")!.Invoke(null, null)!;
        var log = await run;

        Assert.Equal(
            $$"""
            stock A-1 41
            reserve A-1 2
            page 3 1 none
            slow 40
            echo c:x,y
            ping
            token True
            event A-1 41
            cleared
            watching W-1 token True
            watch W-1#1,W-1#2,W-1#3
            ticks 7,8
            importing R-1 2 token True
            progress R-1#1
            progress R-1#2
            imported 20
            importing R-2 3 token False
            imported quietly 30
            progress 50
            progress 100
            received U-1 a#1
            received U-1 b#2
            uploaded 30
            pushed [5,6,7]
            pushed []
            echoed >c3,>d4
            null stream: items
            tolerant {"Sku":"B-2","OnHand":41}
            missing {"Sku":"no-sku","OnHand":41}
            unknown method: ContractMismatchException
            missing metadata: No System
            registered RoundTrip.StockLevel {{Fnv.Hash32("RoundTrip.StockLevel"):X8}}
            ids {{Fnv.Hash32("roundtrip.inventory"):X8}} roundtrip.inventory 8
            """.Replace("\r\n", "\n"),
            log);
    }

    // ---- bytes, over a real inproc:// connection ----

    private const string BinaryContracts = """
        using System;
        using System.Buffers;
        using System.Collections.Generic;
        using System.IO;
        using System.IO.Pipelines;
        using System.Threading;
        using System.Threading.Tasks;
        using IpcContracts;

        namespace Bytes;

        [RequestContract("roundtrip.blobs")]
        public interface IBlobs
        {
            Task<byte[]?> EchoArray(byte[]? data);
            ValueTask<ReadOnlyMemory<byte>> EchoMemory(ReadOnlyMemory<byte> data);
            Task<ReadOnlySequence<byte>> EchoSequence(ReadOnlySequence<byte> data);
            Task<string> Describe(string name, byte[] data, int times);
            Task<Stream> Download(int length, CancellationToken ct = default);
            Task<string> Upload(string name, Stream content, CancellationToken ct = default);
            Task<PipeReader> DownloadPipe(int length);
            ValueTask<string> UploadPipe(PipeReader content, string name);
            ValueTask<Stream> Reverse(Stream content, CancellationToken ct = default);
            Task<Stream> Endless(CancellationToken ct = default);
            Task<Stream> FailAsync(string message);
            Task<Stream> FailAtOnce(string message);
        }

        [EventContract("roundtrip.blob-events")]
        public interface IBlobEvents
        {
            void Stored(string name, byte[] content);
        }
        """;

    private const string BinaryHarness = """
        using System;
        using System.Buffers;
        using System.IO;
        using System.IO.Pipelines;
        using System.Linq;
        using System.Security.Cryptography;
        using System.Threading;
        using System.Threading.Tasks;
        using IpcContracts;

        namespace Bytes;

        public static class Runner
        {
            /// <summary>Bytes that are not all alike, so a reordered, dropped or repeated chunk changes them.</summary>
            public static byte[] Pattern(int length, int seed = 7)
            {
                var bytes = new byte[length];
                for (int i = 0; i < length; i++)
                    bytes[i] = (byte)(i * 31 + seed + (i >> 16));
                return bytes;
            }

            public static string Hash(ReadOnlySpan<byte> bytes) => bytes.Length + ":" + Convert.ToHexString(SHA256.HashData(bytes))[..16];

            private static async Task<string> WithServer(Func<IBlobs, Blobs, Task<string>> run)
            {
                string endpoint = "inproc://bytes-" + Guid.NewGuid().ToString("N");
                var blobs = new Blobs();
                await using var server = await IpcServer.StartAsync(endpoint, s => s.Handle<IBlobs>(blobs));
                await using var client = await IpcClient.ConnectAsync(endpoint);
                return await run(client.Proxy<IBlobs>(), blobs);
            }

            public static Task<string> Values() => WithServer(async (proxy, _) =>
            {
                var log = new System.Collections.Generic.List<string>();
                var data = Pattern(100_000);
                log.Add("array " + ((await proxy.EchoArray(data))?.SequenceEqual(data) ?? false));
                log.Add("null " + ((await proxy.EchoArray(null)) is null));
                log.Add("empty " + ((await proxy.EchoArray(Array.Empty<byte>()))?.Length.ToString() ?? "null"));
                var memory = new ReadOnlyMemory<byte>(Pattern(5000, seed: 3), 100, 4000); // a slice, not the whole array
                log.Add("memory " + (await proxy.EchoMemory(memory)).Span.SequenceEqual(memory.Span));
                log.Add("empty memory " + (await proxy.EchoMemory(ReadOnlyMemory<byte>.Empty)).Length);
                var first = new Segment(Pattern(3000, seed: 1));
                var sequence = new ReadOnlySequence<byte>(first, 0, first.Append(Pattern(2000, seed: 2)), 2000);
                var echoed = await proxy.EchoSequence(sequence);
                log.Add("sequence " + echoed.ToArray().SequenceEqual(sequence.ToArray()) + " " + echoed.Length);
                log.Add("empty sequence " + (await proxy.EchoSequence(ReadOnlySequence<byte>.Empty)).Length);
                log.Add("describe " + await proxy.Describe("n", Pattern(10), 3) + " expected " + Hash(Pattern(10)));
                return string.Join("\n", log);
            });

            public static Task<string> StreamResult() => WithServer(async (proxy, _) =>
            {
                await using var stream = await proxy.Download(1 << 20);
                var received = new MemoryStream();
                await stream.CopyToAsync(received);
                await using var empty = await proxy.Download(0);
                return "download " + received.ToArray().SequenceEqual(Pattern(1 << 20)) + " " + received.Length + ", empty " + await empty.ReadAsync(new byte[16]);
            });

            public static Task<string> StreamParameter() => WithServer(async (proxy, _) =>
            {
                var data = Pattern((1 << 20) + 17, seed: 5);
                var content = new MemoryStream(data);
                string seen = await proxy.Upload("u", content);
                return "upload " + (seen == "u " + Hash(data)) + ", caller's stream still open " + content.CanRead;
            });

            public static Task<string> Pipes() => WithServer(async (proxy, _) =>
            {
                var reader = await proxy.DownloadPipe(300_000);
                var received = new MemoryStream();
                while (true)
                {
                    var read = await reader.ReadAsync();
                    foreach (var segment in read.Buffer)
                        received.Write(segment.Span);
                    reader.AdvanceTo(read.Buffer.End);
                    if (read.IsCompleted) break;
                }
                await reader.CompleteAsync();
                var data = Pattern(200_003, seed: 9);
                string seen = await proxy.UploadPipe(PipeReader.Create(new MemoryStream(data)), "p");
                return "pipe result " + received.ToArray().SequenceEqual(Pattern(300_000)) + ", pipe parameter " + (seen == "p " + Hash(data));
            });

            public static Task<string> BothWays() => WithServer(async (proxy, _) =>
            {
                var data = Pattern(150_000, seed: 11);
                await using var reversed = await proxy.Reverse(new MemoryStream(data));
                var received = new MemoryStream();
                await reversed.CopyToAsync(received);
                return "reversed " + received.ToArray().SequenceEqual(data.Reverse());
            });

            public static Task<string> DisposeEarly() => WithServer(async (proxy, blobs) =>
            {
                var stream = await proxy.Endless();
                var buffer = new byte[10_000];
                int total = 0;
                while (total < 200_000)
                    total += await stream.ReadAsync(buffer);
                await stream.DisposeAsync();
                // Bounded waits: a handler that is never stopped fails the test instead of hanging it.
                var disposed = await Task.WhenAny(blobs.EndlessDisposed.Task, Task.Delay(TimeSpan.FromSeconds(20))) == blobs.EndlessDisposed.Task;
                var cancelled = await Task.WhenAny(blobs.EndlessCancelled.Task, Task.Delay(TimeSpan.FromSeconds(20))) == blobs.EndlessCancelled.Task;
                return "handler's stream disposed " + disposed + ", handler's token cancelled " + cancelled;
            });

            public static Task<string> Failures() => WithServer(async (proxy, _) =>
            {
                var log = new System.Collections.Generic.List<string>();
                try { await proxy.FailAsync("no such file"); log.Add("async: no exception"); }
                catch (RemoteInvocationException e) { log.Add("async: " + e.RemoteType + " " + e.RemoteMessage); }
                try { await proxy.FailAtOnce("locked"); log.Add("at once: no exception"); }
                catch (RemoteInvocationException e) { log.Add("at once: " + e.RemoteType + " " + e.RemoteMessage); }
                return string.Join("\n", log);
            });

            public static async Task<string> Events()
            {
                string endpoint = "inproc://bytes-" + Guid.NewGuid().ToString("N");
                await using var server = await IpcServer.StartAsync(endpoint);
                await using var client = await IpcClient.ConnectAsync(endpoint);
                var listener = new Listener();
                using var subscription = await client.SubscribeAsync<IBlobEvents>(listener);
                var data = Pattern(70_000, seed: 13);
                server.Publisher<IBlobEvents>().Stored("e", data);
                var seen = await listener.Seen.Task.WaitAsync(TimeSpan.FromSeconds(20));
                return "event " + seen.Name + " " + seen.Content.SequenceEqual(data);
            }
        }

        sealed class Listener : IBlobEvents
        {
            public readonly TaskCompletionSource<(string Name, byte[] Content)> Seen = new(TaskCreationOptions.RunContinuationsAsynchronously);
            public void Stored(string name, byte[] content) => Seen.TrySetResult((name, content));
        }

        sealed class Segment : ReadOnlySequenceSegment<byte>
        {
            public Segment(byte[] bytes) => Memory = bytes;

            public Segment Append(byte[] bytes)
            {
                var next = new Segment(bytes) { RunningIndex = RunningIndex + Memory.Length };
                Next = next;
                return next;
            }
        }

        sealed class Blobs : IBlobs
        {
            public readonly TaskCompletionSource EndlessDisposed = new(TaskCreationOptions.RunContinuationsAsynchronously);
            public readonly TaskCompletionSource EndlessCancelled = new(TaskCreationOptions.RunContinuationsAsynchronously);

            public Task<byte[]?> EchoArray(byte[]? data) => Task.FromResult(data);
            public ValueTask<ReadOnlyMemory<byte>> EchoMemory(ReadOnlyMemory<byte> data) => new(data);
            public async Task<ReadOnlySequence<byte>> EchoSequence(ReadOnlySequence<byte> data)
            {
                await Task.Yield();
                return data;
            }
            public Task<string> Describe(string name, byte[] data, int times) => Task.FromResult(name + " " + Runner.Hash(data) + " x" + times);

            public Task<Stream> Download(int length, CancellationToken ct) => Task.FromResult<Stream>(new MemoryStream(Runner.Pattern(length)));

            public async Task<string> Upload(string name, Stream content, CancellationToken ct)
            {
                var received = new MemoryStream();
                await content.CopyToAsync(received, ct);
                return name + " " + Runner.Hash(received.ToArray());
            }

            public Task<PipeReader> DownloadPipe(int length)
            {
                // The writer fills the pipe while the caller reads it: more than the pipe's pause threshold (64 KiB).
                var pipe = new Pipe();
                _ = Task.Run(async () =>
                {
                    Exception? failure = null;
                    try
                    {
                        var bytes = Runner.Pattern(length);
                        for (int offset = 0; offset < length; offset += 50_000)
                            await pipe.Writer.WriteAsync(bytes.AsMemory(offset, Math.Min(50_000, length - offset)));
                    }
                    catch (Exception e) { failure = e; }
                    await pipe.Writer.CompleteAsync(failure);
                });
                return Task.FromResult(pipe.Reader);
            }

            public async ValueTask<string> UploadPipe(PipeReader content, string name)
            {
                var received = new MemoryStream();
                await content.CopyToAsync(received);
                return name + " " + Runner.Hash(received.ToArray());
            }

            public async ValueTask<Stream> Reverse(Stream content, CancellationToken ct)
            {
                var received = new MemoryStream();
                await content.CopyToAsync(received, ct);
                var bytes = received.ToArray();
                Array.Reverse(bytes);
                return new MemoryStream(bytes);
            }

            public Task<Stream> Endless(CancellationToken ct)
            {
                ct.Register(() => EndlessCancelled.TrySetResult());
                return Task.FromResult<Stream>(new EndlessStream(EndlessDisposed));
            }

            public async Task<Stream> FailAsync(string message)
            {
                await Task.Yield();
                throw new FileNotFoundException(message);
            }

            public Task<Stream> FailAtOnce(string message) => throw new UnauthorizedAccessException(message);
        }

        /// <summary>Bytes without end; records its disposal, which only the caller stopping the stream can cause.</summary>
        sealed class EndlessStream(TaskCompletionSource disposed) : Stream
        {
            public override bool CanRead => true;
            public override bool CanSeek => false;
            public override bool CanWrite => false;
            public override long Length => throw new NotSupportedException();
            public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
            public override int Read(byte[] buffer, int offset, int count)
            {
                Array.Fill(buffer, (byte)'x', offset, count);
                return count;
            }
            protected override void Dispose(bool disposing)
            {
                disposed.TrySetResult();
                base.Dispose(disposing);
            }
            public override void Flush() { }
            public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
            public override void SetLength(long value) => throw new NotSupportedException();
            public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        }
        """;

    /// <summary>The binary contracts built once with both generators and loaded; each test runs one of its Runner methods.</summary>
    private static readonly Lazy<Assembly> BinaryAssembly = new(() =>
    {
        var result = GeneratorRunner.Run(new[] { BinaryContracts, BinaryHarness }, withSystemTextJson: true);
        var problems = result.Output.Problems().ToList();
        Assert.True(problems.Count == 0, TestCompilation.Describe(problems));
        using var pe = new MemoryStream();
        var emit = result.Output.Emit(pe);
        Assert.True(emit.Success, TestCompilation.Describe(emit.Diagnostics));
        pe.Position = 0;
        return new AssemblyLoadContext("RoundTripBytes", isCollectible: true).LoadFromStream(pe);
    });

    private static Task<string> RunBinary(string scenario) =>
        ((Task<string>)BinaryAssembly.Value.GetType("Bytes.Runner")!.GetMethod(scenario)!.Invoke(null, null)!).WaitAsync(TimeSpan.FromSeconds(60));

    [Fact]
    public async Task Binary_arguments_and_results_round_trip_with_null_empty_slices_and_segments()
    {
        var log = (await RunBinary("Values")).Split('\n');

        Assert.Equal("array True", log[0]);
        Assert.Equal("null True", log[1]);
        Assert.Equal("empty 0", log[2]);
        Assert.Equal("memory True", log[3]);
        Assert.Equal("empty memory 0", log[4]);
        Assert.Equal("sequence True 5000", log[5]);
        Assert.Equal("empty sequence 0", log[6]);
        // A byte[] next to other parameters: each reaches the handler in its place.
        var describe = log[7].Split(" expected ");
        Assert.Equal("describe n " + describe[1] + " x3", describe[0]);
        Assert.Equal(8, log.Length);
    }

    [Fact]
    public async Task A_Stream_result_read_to_its_end_holds_the_handlers_bytes() =>
        Assert.Equal("download True 1048576, empty 0", await RunBinary("StreamResult"));

    [Fact]
    public async Task A_Stream_parameter_reaches_the_handler_whole_and_stays_the_callers() =>
        Assert.Equal("upload True, caller's stream still open True", await RunBinary("StreamParameter"));

    [Fact]
    public async Task PipeReader_results_and_parameters_carry_the_bytes() =>
        Assert.Equal("pipe result True, pipe parameter True", await RunBinary("Pipes"));

    [Fact]
    public async Task A_Stream_parameter_and_a_Stream_result_on_one_call() =>
        Assert.Equal("reversed True", await RunBinary("BothWays"));

    [Fact]
    public async Task Disposing_a_Stream_result_early_stops_the_handler() =>
        Assert.Equal("handler's stream disposed True, handler's token cancelled True", await RunBinary("DisposeEarly"));

    [Fact]
    public async Task A_handler_failing_before_its_Stream_exists_fails_the_await() =>
        Assert.Equal(
            "async: System.IO.FileNotFoundException no such file\n" +
            "at once: System.UnauthorizedAccessException locked",
            await RunBinary("Failures"));

    [Fact]
    public async Task An_event_with_a_byte_array_reaches_the_subscriber() =>
        Assert.Equal("event e True", await RunBinary("Events"));

    private const string Defaults = """
        using System;
        using System.Buffers;
        using System.Collections.Generic;
        using System.Globalization;
        using System.Linq;
        using System.Text.Json.Serialization;
        using System.Text.Json.Serialization.Metadata;
        using System.Threading;
        using System.Threading.Tasks;
        using IpcContracts;
        using IpcContracts.Runtime;

        namespace Defaults;

        public enum Mode { Off = -1, On = 1, Auto = 7 }

        [JsonSerializable(typeof(Mode))]
        [JsonSerializable(typeof(Mode?))]
        internal partial class DefaultsJson : JsonSerializerContext;

        [RequestContract("defaults.all")]
        public interface IAll
        {
            Task<string> AllAsync(string name, string text = "a \"b\"\n\\", char c = '\'', bool flag = true, int i = -5, long l = long.MinValue,
                uint u = 4000000000, ulong ul = ulong.MaxValue, short sh = -3, ushort us = 65535, byte by = 200, sbyte sb = -128,
                decimal m = 0.1m, float f = float.NaN, double d = 1e300, double inf = double.NegativeInfinity, Mode mode = Mode.Off,
                int? ni = 9, Mode? nm = Mode.Auto, string? none = null, DateTime at = default, CancellationToken ct = default);
        }

        [EventContract("defaults.events")]
        public interface IEvents
        {
            void Changed(string name, int revision = 42);
        }

        public static class Runner
        {
            public static async Task<string> RunAsync()
            {
                var log = new List<string>();
                var all = ContractRegistry.Get<IAll>(ContractKind.Request);
                // A caller built before the optional parameters existed sends only "name": each missing one is the handler's default.
                var call = new Call(all.Methods[0].Id, "{\"name\":\"old\"}");
                await all.DispatchAsync(new All(), call);
                log.Add(call.ReplyText!);
                // A value that is sent wins over the default.
                call = new Call(all.Methods[0].Id, "{\"name\":\"new\",\"i\":1,\"mode\":1,\"ni\":null,\"text\":\"t\"}");
                await all.DispatchAsync(new All(), call);
                log.Add(call.ReplyText!);
                var events = ContractRegistry.Get<IEvents>(ContractKind.Event);
                await events.DispatchAsync(new Listener(log), new Call(events.Methods[0].Id, "{\"name\":\"e\"}"));
                log.Add(all.Methods[0].Signature);
                return string.Join("\n", log);
            }
        }

        sealed class All : IAll
        {
            public Task<string> AllAsync(string name, string text, char c, bool flag, int i, long l, uint u, ulong ul, short sh, ushort us, byte by, sbyte sb,
                decimal m, float f, double d, double inf, Mode mode, int? ni, Mode? nm, string? none, DateTime at, CancellationToken ct) =>
                Task.FromResult(string.Join("|", new object?[] { name, text.Replace("\n", "\\n"), c, flag, i, l, u, ul, sh, us, by, sb, m, f, d, inf, mode, ni ?? -1, nm, none ?? "null", at.Ticks }
                    .Select(o => Convert.ToString(o, CultureInfo.InvariantCulture))));
        }

        sealed class Listener(List<string> log) : IEvents
        {
            public void Changed(string name, int revision) => log.Add($"event {name} {revision}");
        }

        sealed class Call(uint methodId, string json) : InboundCall
        {
            private readonly byte[] _payload = System.Text.Encoding.UTF8.GetBytes(json);
            public string? ReplyText { get; private set; }
            public override uint MethodId => methodId;
            public override ReadOnlySequence<byte> Payload => new(_payload);
            public override CancellationToken CancellationToken => CancellationToken.None;
            public override IpcConnection Connection => throw new NotSupportedException();
            public override void Reply<TValue>(TValue value, JsonTypeInfo<TValue> typeInfo) => ReplyText = value?.ToString();
            public override void ReplyEmpty() => ReplyText = "<empty>";
        }
        """;

    [Fact]
    public async Task A_missing_argument_gets_the_handlers_declared_default_not_the_types()
    {
        var result = GeneratorRunner.Run(new[] { Defaults }, withSystemTextJson: true);
        var problems = result.Output.Problems().ToList();
        Assert.True(problems.Count == 0, TestCompilation.Describe(problems));

        using var pe = new MemoryStream();
        var emit = result.Output.Emit(pe);
        Assert.True(emit.Success, TestCompilation.Describe(emit.Diagnostics));
        pe.Position = 0;
        var assembly = new AssemblyLoadContext("Defaults", isCollectible: true).LoadFromStream(pe);
        var log = await (Task<string>)assembly.GetType("Defaults.Runner")!.GetMethod("RunAsync")!.Invoke(null, null)!;

        Assert.Equal(
            """
            old|a "b"\n\|'|True|-5|-9223372036854775808|4000000000|18446744073709551615|-3|65535|200|-128|0.1|NaN|1E+300|-Infinity|Off|9|Auto|null|0
            new|t|'|True|1|-9223372036854775808|4000000000|18446744073709551615|-3|65535|200|-128|0.1|NaN|1E+300|-Infinity|On|-1|Auto|null|0
            event e 42
            R:string(string name,string text=,char c=,bool flag=,int i=,long l=,uint u=,ulong ul=,short sh=,ushort us=,byte by=,sbyte sb=,decimal m=,float f=,double d=,double inf=,Defaults.Mode mode=,int? ni=,Defaults.Mode? nm=,string none=,System.DateTime at=)
            """.Replace("\r\n", "\n"),
            log);
    }
}
