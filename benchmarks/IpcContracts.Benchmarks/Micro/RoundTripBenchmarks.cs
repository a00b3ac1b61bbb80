using BenchmarkDotNet.Attributes;

namespace IpcContracts.Benchmarks.Micro;

/// <summary>
/// A whole call, both sides in this process: proxy, frame, transport, reader, dispatch, handler, reply, result. The
/// memory diagnoser counts every thread's allocations (client and server together), so "Allocated" per operation is
/// what one round trip (or one event, publisher and subscriber) costs in bytes beyond nothing: the payload objects
/// (a <see cref="Payload"/> and its 64-char string, read once on each side) are 2 x 232 B per round trip and 232 B per
/// event. A Task method also needs its Task on the caller's side (with its TaskCompletionSource) and, for this handler,
/// the Task of Task.FromResult. Each benchmark runs 1,000 operations in one loop, so BenchmarkDotNet's own awaiting is
/// spread over them.
/// </summary>
[MemoryDiagnoser]
public class RoundTripBenchmarks
{
    private const int Operations = 1000;

    private IpcServer _server = null!;
    private IpcClient _client = null!;
    private IEcho _echo = null!;
    private IValueEcho _valueEcho = null!;
    private IBenchEvents _events = null!;
    private readonly Payload _payload = new(new string('x', 64));
    private long _published;

    [Params("inproc", "pipe")]
    public string Transport { get; set; } = "pipe";

    [GlobalSetup]
    public void Setup()
    {
        var service = new BenchService();
        var endpoint = Transport == "inproc" ? $"inproc://bdn-{Environment.ProcessId}" : $"pipe://bdn-{Environment.ProcessId}";
        _server = IpcServer.StartAsync(endpoint, b =>
        {
            b.Handle<IEcho>(service);
            b.Handle<IValueEcho>(new ValueEchoService());
        }).GetAwaiter().GetResult();
        _server.Subscribe<IBenchEvents>(service);
        _client = IpcClient.ConnectAsync(_server.Endpoint.ToString()).GetAwaiter().GetResult();
        _echo = _client.Proxy<IEcho>();
        _valueEcho = _client.Proxy<IValueEcho>();
        _events = _client.Publisher<IBenchEvents>();
        while (!_client.Connection.PeerSubscribed(new(false, Runtime.ContractRegistry.Get<IBenchEvents>().Id))) Thread.Sleep(1);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _client.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _server.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    /// <summary><c>Task&lt;Payload&gt; EchoAsync(Payload)</c>, the method of the harness's round-trip rows.</summary>
    [Benchmark(OperationsPerInvoke = Operations)]
    public async Task TaskRoundTrip()
    {
        for (var i = 0; i < Operations; i++) await _echo.EchoAsync(_payload).ConfigureAwait(false);
    }

    /// <summary>The same as <c>ValueTask&lt;Payload&gt;</c> on both sides.</summary>
    [Benchmark(OperationsPerInvoke = Operations)]
    public async Task ValueTaskRoundTrip()
    {
        for (var i = 0; i < Operations; i++) await _valueEcho.EchoAsync(_payload).ConfigureAwait(false);
    }

    /// <summary>1,000 events in batches of 100, each batch waited for by a round trip that completes once the subscriber has counted it.</summary>
    [Benchmark(OperationsPerInvoke = Operations)]
    public async Task Event()
    {
        for (var batch = 0; batch < Operations / 100; batch++)
        {
            for (var i = 0; i < 100; i++) _events.Tick(_payload);
            _published += 100;
            await _echo.WaitForEventsAsync(_published).ConfigureAwait(false);
        }
    }
}
