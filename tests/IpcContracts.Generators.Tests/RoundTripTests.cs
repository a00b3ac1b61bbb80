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
