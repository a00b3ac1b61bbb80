using System.Net.Sockets;
using System.Text.Json.Serialization;
using IpcContracts.Benchmarks.Dispatch;
using IpcContracts.Benchmarks.Raw;
using Nerdbank.Streams;
using StreamJsonRpc;

namespace IpcContracts.Benchmarks.Processes;

/// <summary>The roles this program plays when the measuring process starts it as a child.</summary>
internal static class Children
{
    public static int Run(string[] args) => args switch
    {
        ["ours", var endpoint, var spin] => RunOurs(endpoint, int.Parse(spin)),
        ["raw", var kind] => RawChild.Run(kind),
        ["raw-nats", var url, var prefix] => RawNats.RunChild(url, prefix),
        ["sjrpc"] => RunStreamJsonRpc(),
        ["first-call", var path, var json] => FirstCall(path, json == "json-warm"),
        ["spin", var threads] => Spin(int.Parse(threads)),
        _ => throw new ArgumentException($"Unknown child role '{string.Join(' ', args)}'."),
    };

    /// <summary>
    /// The load of <c>--load N</c>: N threads at normal priority that only burn CPU, in a process of their own, until the
    /// harness says quit (or its standard input closes, when the harness dies).
    /// </summary>
    private static int Spin(int threads)
    {
        var stop = 0;
        var spinners = Enumerable.Range(0, threads).Select(i => new Thread(() =>
        {
            ulong x = 1;
            while (Volatile.Read(ref stop) == 0)
                for (var k = 0; k < 10_000; k++) x = x * 6364136223846793005UL + 1442695040888963407UL; // work the JIT cannot drop
            GC.KeepAlive(x);
        }) { IsBackground = true, Name = $"load spinner {i}" }).ToList();
        spinners.ForEach(t => t.Start());
        try
        {
            return ChildHost.Run($"{threads} spinners", _ => null);
        }
        finally
        {
            Volatile.Write(ref stop, 1);
        }
    }

    /// <summary>An IpcContracts server: answers <see cref="IEcho"/> and counts <see cref="IBenchEvents"/>.</summary>
    private static int RunOurs(string endpoint, int spinCount)
    {
        var service = new BenchService();
        var options = new IpcOptions { SharedMemory = { SpinCount = spinCount }, DedicatedReaderThread = Harness.HarnessConfig.DedicatedReaderServer };
        if (Harness.HarnessConfig.ByteCreditWindow is { } window) options.Streams.ByteCreditWindow = window;
        if (endpoint.StartsWith("nats://", StringComparison.Ordinal)) IpcContracts.Nats.NatsTransport.Register();
        var server = IpcServer.StartAsync(endpoint, s =>
        {
            s.Handle<IEcho>(service);
            s.Handle<IValueEcho>(new ValueEchoService()); // the allocation rows' ValueTask round trip
        }, options).GetAwaiter().GetResult();
        using var subscription = server.Subscribe<IBenchEvents>(service);
        try
        {
            return ChildHost.Run(server.Endpoint.ToString(), words => words is ["events"] ? $"EVENTS {service.Events}" : null);
        }
        finally
        {
            server.DisposeAsync().AsTask().Wait(TimeSpan.FromSeconds(5));
        }
    }

    /// <summary>A StreamJsonRpc server (System.Text.Json formatter, length-prefixed messages) on a Unix socket.</summary>
    private static int RunStreamJsonRpc()
    {
        var path = RawSockets.UnixPath("sjrpc");
        using var listener = RawSockets.ListenUnix(path);
        var connections = new List<JsonRpc>();
        _ = Task.Run(async () =>
        {
            while (true)
            {
                Socket socket;
                try { socket = await listener.AcceptAsync().ConfigureAwait(false); }
                catch (Exception e) when (e is SocketException or ObjectDisposedException) { return; }
                var rpc = StreamJsonRpcSetup.Attach(socket);
                rpc.AddLocalRpcTarget(new StreamJsonRpcEcho());
                rpc.StartListening();
                lock (connections) connections.Add(rpc);
            }
        });
        try
        {
            return ChildHost.Run(path, _ => null);
        }
        finally
        {
            lock (connections) foreach (var c in connections) c.Dispose();
            File.Delete(path);
        }
    }

    /// <summary>
    /// Times the very first dispatch of a request in this fresh process, either through the generated
    /// dispatcher or through the seed-000 reflection path, prints <c>READY &lt;microseconds&gt;</c> and exits.
    /// Inputs are written by hand so that nothing warms the serializer before the clock starts, unless
    /// <paramref name="jsonWarm"/> asks for System.Text.Json to have serialized something unrelated first (an
    /// <c>int</c>, through source-generated metadata), as IpcContracts' handshake has done before any call.
    /// </summary>
    private static int FirstCall(string path, bool jsonWarm)
    {
        var data = new string('x', 64);
        var service = new BenchService();
        if (jsonWarm && System.Text.Json.JsonSerializer.Serialize(42, WarmupJson.Default.Int32) != "42")
            throw new InvalidOperationException("System.Text.Json warm-up failed.");
        long elapsed;
        int replyBytes;
        if (path == "generated")
        {
            var frame = GeneratedPath.RequestFrame(data);
            var start = System.Diagnostics.Stopwatch.GetTimestamp();
            var reply = GeneratedPath.DispatchRequest(frame, service);
            elapsed = System.Diagnostics.Stopwatch.GetTimestamp() - start;
            replyBytes = reply.Length;
            reply.Return();
        }
        else
        {
            var seed = new SeedPath(service);
            var frame = SeedPath.HandWrittenRequestFrame(data);
            var start = System.Diagnostics.Stopwatch.GetTimestamp();
            var reply = seed.DispatchRequest(frame);
            elapsed = System.Diagnostics.Stopwatch.GetTimestamp() - start;
            replyBytes = reply.Length;
        }
        if (replyBytes < data.Length) throw new InvalidOperationException("The first call produced no real reply.");
        Console.WriteLine(FormattableString.Invariant($"READY {elapsed * 1_000_000.0 / System.Diagnostics.Stopwatch.Frequency:0.0}"));
        return 0;
    }
}

/// <summary>StreamJsonRpc as its documentation sets it up, with the System.Text.Json formatter.</summary>
internal static class StreamJsonRpcSetup
{
    public static JsonRpc Attach(Socket socket)
    {
        var formatter = new SystemTextJsonFormatter();
        // Source-generated metadata for the payload (this project disables reflection-based JSON); StreamJsonRpc's
        // own message envelope is written by its formatter.
        formatter.JsonSerializerOptions.TypeInfoResolverChain.Insert(0, StreamJsonRpcJson.Default);
        return new JsonRpc(new LengthHeaderMessageHandler(new NetworkStream(socket, ownsSocket: true).UsePipe(), formatter));
    }
}

/// <summary>The StreamJsonRpc server's target.</summary>
internal sealed class StreamJsonRpcEcho
{
    public Payload Echo(Payload payload) => payload;

    public int Sink(Payload payload) => payload.Data.Length;
}

[JsonSerializable(typeof(Payload))]
[JsonSerializable(typeof(int))]
internal sealed partial class StreamJsonRpcJson : JsonSerializerContext;

/// <summary>Unrelated metadata, used to bring System.Text.Json up before a "first call" measurement that asks for it.</summary>
[JsonSerializable(typeof(int))]
internal sealed partial class WarmupJson : JsonSerializerContext;
