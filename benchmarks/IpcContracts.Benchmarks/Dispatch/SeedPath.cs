using IpcContracts.Benchmarks.ReflectionBaseline;

namespace IpcContracts.Benchmarks.Dispatch;

/// <summary>The seed-000 receiving side (see the ReflectionBaseline project) wired to the benchmark's payload and handler.</summary>
internal sealed class SeedPath
{
    private readonly SeedDispatcher _dispatcher = new();
    // Strong references: the seed holds handlers weakly, and a collected lambda would silently stop the benchmark.
    private readonly Func<Payload, Task<Payload>> _echo;
    private readonly Action<Payload> _tick;

    public SeedPath(BenchService service)
    {
        _echo = service.EchoAsync;
        _tick = service.Tick;
        _dispatcher.SubscribeRequest(_echo);
        _dispatcher.Subscribe(_tick);
    }

    /// <summary>A request frame built by the seed's own code path (wrap, serialize, frame).</summary>
    public static byte[] RequestFrame(string data) => SeedWire.Frame(SeedWire.Wrap(new Payload(data), isRequest: true, replyTo: "bench-replies"));

    /// <summary>An event frame built by the seed's own code path.</summary>
    public static byte[] EventFrame(string data) => SeedWire.Frame(SeedWire.Wrap(new Payload(data), isRequest: false, replyTo: null));

    /// <summary>A request frame written by hand, for the first-call measurement (no serializer warmed up).</summary>
    public static byte[] HandWrittenRequestFrame(string data) => SeedWire.HandWrittenRequest(typeof(Payload), "{\"data\":\"" + data + "\"}");

    public byte[] DispatchRequest(byte[] frame) =>
        _dispatcher.OnFrameAsync(frame).GetAwaiter().GetResult() ?? throw new InvalidOperationException("The seed dispatcher did not reply.");

    public void DispatchEvent(byte[] frame) => _dispatcher.OnFrameAsync(frame).GetAwaiter().GetResult();

    /// <summary>Encodes an event as the seed's publisher does (wrap, serialize, frame).</summary>
    public static byte[] EncodeEvent(Payload payload) => SeedWire.Frame(SeedWire.Wrap(payload, isRequest: false, replyTo: null));
}
