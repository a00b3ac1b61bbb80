using System.Threading.Tasks.Sources;
using IpcContracts.TestContracts;
using IpcContracts.Tests.Support;
using Xunit.Abstractions;

namespace IpcContracts.Tests.Hardening;

/// <summary>
/// Bytes a warm call or event allocates beyond its payload objects, counted for the whole process
/// (<see cref="GC.GetTotalAllocatedBytes"/>, precise): client and server run here, so every thread of both sides counts
/// (callers, readers, writers, the pool). A count, not a time: it does not depend on the machine's load. The payloads are
/// strings, whose size is measured here too, so the budget holds no runtime object sizes.
/// </summary>
[Collection(MeasuresMemory.Name)]
public sealed class AllocationBudgetTests(ITestOutputHelper output)
{
    private const int Operations = 10_000;

    /// <summary>
    /// What may be allocated per operation beyond the payload, averaged: a margin for the occasional timer tick or pool
    /// refill, below any object allocated per call (the smallest, a boxed value, is 24 bytes; before session 5 a request
    /// object took 160 bytes, each pending-table entry 48).
    /// </summary>
    private const double Margin = 16;

    private static readonly string Text = new('x', 64);

    [Theory]
    [InlineData("pipe")]
    [InlineData("tcp")]
    [InlineData("shm")]
    public async Task A_warm_round_trip_of_a_ValueTask_method_allocates_nothing_beyond_its_two_payload_strings(string transport)
    {
        var service = new ValueCalls();
        await using var server = await IpcServer.StartAsync(Endpoints.For(transport), b => b.Handle<IValueCalls>(service));
        await using var client = await IpcClient.ConnectAsync(server.Endpoint.ToString());
        var calls = client.Proxy<IValueCalls>();

        // Payload objects: the argument string the handler's side reads and the result string the caller's side reads.
        var payload = 2 * SizeOf(() => new string('x', 64));
        var beyond = await BytesPerOperationAsync(async n =>
        {
            for (var i = 0; i < n; i++) await calls.EchoAsync(Text);
        }) - payload;

        output.WriteLine($"{transport}: {beyond:0.0} B per round trip beyond the payload ({payload} B)");
        Assert.True(beyond <= Margin, $"A ValueTask round trip over {transport}:// allocated {beyond:0.0} B beyond its payload ({payload} B); budget {Margin} B.");
    }

    /// <summary>
    /// A handler that completes later, on another thread: the connection then waits for its dispatch, and the generated
    /// dispatcher for its result. Neither may cost an object per call: the dispatcher replies through the runtime's
    /// reusable ReplyLater kept on the call object, and the connection observes the dispatch through a continuation kept
    /// on the request. Before: two async methods, a state machine box each per call (296 B); then a pooled box for the
    /// dispatcher, which allocated 112 B per call whenever the runtime's pool missed (it gives a box back to the slot of
    /// the thread that finished it, while the reader rents). The handler itself allocates nothing (<see cref="YieldingEcho"/>).
    /// </summary>
    [Theory]
    [InlineData("pipe")]
    [InlineData("tcp")]
    [InlineData("shm")]
    public async Task A_warm_round_trip_to_a_handler_that_completes_later_allocates_nothing_beyond_its_two_payload_strings(string transport)
    {
        await using var server = await IpcServer.StartAsync(Endpoints.For(transport), b => b.Handle<IValueCalls>(new YieldingEcho()));
        await using var client = await IpcClient.ConnectAsync(server.Endpoint.ToString());
        var calls = client.Proxy<IValueCalls>();

        var payload = 2 * SizeOf(() => new string('x', 64));
        var beyond = await BytesPerOperationAsync(async n =>
        {
            for (var i = 0; i < n; i++) await calls.EchoAsync(Text);
        }) - payload;

        output.WriteLine($"{transport}: {beyond:0.0} B per round trip beyond the payload ({payload} B)");
        Assert.True(beyond <= Margin, $"A round trip to an asynchronous handler over {transport}:// allocated {beyond:0.0} B beyond its payload ({payload} B); budget {Margin} B.");
    }

    /// <summary>
    /// Echoes later, on a thread-pool thread, through one reusable <see cref="IValueTaskSource{TResult}"/>: the handler
    /// itself allocates nothing, whatever thread its completion lands on. (A handler with a pooled state machine, as
    /// before, did not do for a test: the runtime's pool hits only when a box is rented and returned through the same
    /// thread's or core's slot, and here one thread rents and another returns, so it allocated a box per call in some
    /// runs and none in others.) One call at a time: the test awaits each before the next.
    /// </summary>
    private sealed class YieldingEcho : IValueCalls, IValueTaskSource<string>, IThreadPoolWorkItem
    {
        private readonly ValueCalls _others = new();
        private ManualResetValueTaskSourceCore<string> _core;
        private string _text = "";

        public ValueTask<string> EchoAsync(string text)
        {
            _core.Reset();
            _text = text;
            ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
            return new ValueTask<string>(this, _core.Version);
        }

        void IThreadPoolWorkItem.Execute() => _core.SetResult(_text);

        string IValueTaskSource<string>.GetResult(short token) => _core.GetResult(token);

        ValueTaskSourceStatus IValueTaskSource<string>.GetStatus(short token) => _core.GetStatus(token);

        void IValueTaskSource<string>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
            _core.OnCompleted(continuation, state, token, flags);

        public ValueTask<int> DelayAsync(int value, int milliseconds, CancellationToken cancellationToken) => _others.DelayAsync(value, milliseconds, cancellationToken);

        public ValueTask FailAsync(string? message) => _others.FailAsync(message);

        public ValueTask<string> ContextAsync() => _others.ContextAsync();

        public ValueTask<string?> SwapMarkAsync(string mark) => _others.SwapMarkAsync(mark);
    }

    /// <summary>
    /// A Task method cannot do without a Task per call on the caller's side, and the handler here returns Task.FromResult,
    /// its own Task: those two Tasks, the two strings and nothing else (no TaskCompletionSource around the caller's Task:
    /// it took 24 B more per call, over the margin).
    /// </summary>
    [Theory]
    [InlineData("pipe")]
    [InlineData("tcp")]
    [InlineData("shm")]
    public async Task A_warm_round_trip_of_a_Task_method_allocates_only_its_Tasks_beyond_its_payload_strings(string transport)
    {
        IpcServer? server = null;
        server = await IpcServer.StartAsync(Endpoints.For(transport), b => b.Handle<ICalculator>(new Calculator(() => server!.Publisher<ITicks>())));
        await using var _ = server;
        await using var client = await IpcClient.ConnectAsync(server.Endpoint.ToString(), b => b.Handle<IClientCallback>(new Pair.UpperCaser()));
        var calculator = client.Proxy<ICalculator>();

        var payload = 2 * SizeOf(() => new string('x', 64));
        var tasks = 2 * SizeOf(() => Task.FromResult(Text)); // the caller's Task<string> and the handler's, one size
        var beyond = await BytesPerOperationAsync(async n =>
        {
            for (var i = 0; i < n; i++) await calculator.EchoAsync(Text);
        }) - payload - tasks;

        output.WriteLine($"{transport}: {beyond:0.0} B per round trip beyond the payload ({payload} B) and the Tasks ({tasks} B)");
        Assert.True(beyond <= Margin, $"A Task round trip over {transport}:// allocated {beyond:0.0} B beyond its payload ({payload} B) and Tasks ({tasks} B); budget {Margin} B.");
    }

    [Theory]
    [InlineData("pipe")]
    [InlineData("tcp")]
    [InlineData("shm")]
    public async Task A_warm_event_allocates_nothing_beyond_its_payload_string_on_either_side(string transport)
    {
        var service = new ValueCalls();
        await using var server = await IpcServer.StartAsync(Endpoints.For(transport), b => b.Handle<IValueCalls>(service));
        using var subscription = server.Subscribe<INotes>(service);
        await using var client = await IpcClient.ConnectAsync(server.Endpoint.ToString());
        var notes = client.Publisher<INotes>();
        await Eventually.TrueAsync(() => client.Connection.PeerSubscribed(new(false, IpcContracts.Runtime.ContractRegistry.Get<INotes>().Id)));

        var payload = SizeOf(() => new string('x', 64));
        long published = 0;
        // In batches the subscriber keeps up with: a flood queues on the subscriber's side, and a backlog deeper than the
        // array pool keeps is held in new blocks (docs/benchmarks.md, "Allocations per call").
        var beyond = await BytesPerOperationAsync(async n =>
        {
            for (var done = 0; done < n; done += 100)
            {
                for (var i = 0; i < 100; i++) notes.Note(Text);
                published += 100;
                await Eventually.TrueAsync(() => service.Notes == published); // both sides' work is done before counting stops
            }
        }) - payload;

        output.WriteLine($"{transport}: {beyond:0.0} B per event beyond the payload ({payload} B)");
        Assert.True(beyond <= Margin, $"An event over {transport}:// allocated {beyond:0.0} B (publisher + subscriber) beyond its payload ({payload} B); budget {Margin} B.");
    }

    /// <summary>
    /// A burst that queues: the subscriber holds the burst's first event until all the rest is published, so the burst
    /// waits in the subscriber's event queue (pipe, tcp: the reader goes on reading) or in the publisher's send queue
    /// (shm: inline delivery holds the reader, and the ring fills), as a flood that outruns its subscriber does
    /// (`counts --only events` publishes 200,000 back to back). Each measured burst is deeper than any before it, as that
    /// row's flood is deeper than its warm-up: a backlog's memory has to come from somewhere, but not from the collected
    /// heap per event. Before session 9 the subscriber's queue kept a 128-byte entry per queued event in an array that
    /// doubled as the backlog deepened (150-290 B per event here), and both queues' 64 KiB blocks beyond the few the shared
    /// array pool keeps were new arrays (56 B per event on shm, where the backlog is the publisher's). The least of two
    /// bursts: a shm reader that drains a full ring while the writer refills it sometimes takes a few more 256 KiB pipe
    /// segments than the pool holds (2.6 B per event each, over 100,000).
    /// </summary>
    [Theory]
    [InlineData("pipe")]
    [InlineData("tcp")]
    [InlineData("shm")]
    public async Task A_burst_of_events_queued_behind_a_busy_subscriber_allocates_nothing_beyond_its_payload_strings(string transport)
    {
        var notes = new HeldNotes();
        await using var server = await IpcServer.StartAsync(Endpoints.For(transport), b => b.Handle<IValueCalls>(new ValueCalls()));
        using var subscription = server.Subscribe<INotes>(notes);
        await using var client = await IpcClient.ConnectAsync(server.Endpoint.ToString());
        var publisher = client.Publisher<INotes>();
        await Eventually.TrueAsync(() => client.Connection.PeerSubscribed(new(false, IpcContracts.Runtime.ContractRegistry.Get<INotes>().Id)));

        long published = 0;
        async Task BurstAsync(int count)
        {
            notes.HoldNext();
            publisher.Note(Text);
            Assert.True(notes.Held.Wait(TimeSpan.FromSeconds(10)), "The subscriber never got the burst's first event.");
            for (var i = 1; i < count; i++) publisher.Note(Text);
            published += count;
            notes.Release();
            await Eventually.TrueAsync(() => notes.Count == published, 60_000); // both sides' work is done before counting stops
        }

        // Warm: tiered JIT and pools, then a deep burst once (a shm ring full, its reader's pipe segments back in the pool).
        for (var i = 0; i < 5; i++) await BurstAsync(2_000);
        await BurstAsync(50_000);
        var payload = SizeOf(() => new string('x', 64));
        var least = double.MaxValue;
        foreach (var burst in new[] { 100_000, 200_000 })
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            var before = GC.GetTotalAllocatedBytes(precise: true);
            await BurstAsync(burst);
            var beyond = (GC.GetTotalAllocatedBytes(precise: true) - before) / (double)burst - payload;
            output.WriteLine($"{transport}: {beyond:0.0} B per event beyond the payload ({payload} B), publisher + subscriber, a burst of {burst:N0} queued");
            least = Math.Min(least, beyond);
        }

        Assert.True(least <= Margin, $"Bursts of events queued over {transport}:// allocated at least {least:0.0} B per event (publisher + subscriber) beyond the payload ({payload} B); budget {Margin} B.");
    }

    /// <summary>
    /// The other end of a run: events one at a time, each delivered before the next is published, so every event is a run
    /// of its own and whatever a run costs (the event loop waking, the writer handing off) shows in full per event. The
    /// wait spins on the count (a timer or a task per wait would be the test's own bytes). Before session 9 the event loop
    /// waited for each item through a new TaskCompletionSource (pipe, tcp: about 100 B per wake).
    /// </summary>
    [Theory]
    [InlineData("pipe")]
    [InlineData("tcp")]
    [InlineData("shm")]
    public async Task An_event_delivered_alone_allocates_nothing_beyond_its_payload_string(string transport)
    {
        var service = new ValueCalls();
        await using var server = await IpcServer.StartAsync(Endpoints.For(transport), b => b.Handle<IValueCalls>(service));
        using var subscription = server.Subscribe<INotes>(service);
        await using var client = await IpcClient.ConnectAsync(server.Endpoint.ToString());
        var notes = client.Publisher<INotes>();
        await Eventually.TrueAsync(() => client.Connection.PeerSubscribed(new(false, IpcContracts.Runtime.ContractRegistry.Get<INotes>().Id)));

        var payload = SizeOf(() => new string('x', 64));
        long published = 0;
        var beyond = await BytesPerOperationAsync(n =>
        {
            for (var i = 0; i < n; i++)
            {
                notes.Note(Text);
                published++;
                var deadline = Environment.TickCount64 + 10_000;
                var spin = new SpinWait();
                while (service.Notes != published)
                {
                    Assert.True(Environment.TickCount64 < deadline, "An event was not delivered within 10 s.");
                    spin.SpinOnce();
                }
            }
            return Task.CompletedTask;
        }) - payload;

        output.WriteLine($"{transport}: {beyond:0.0} B per event beyond the payload ({payload} B), each event delivered before the next");
        Assert.True(beyond <= Margin, $"An event delivered alone over {transport}:// allocated {beyond:0.0} B (publisher + subscriber) beyond its payload ({payload} B); budget {Margin} B.");
    }

    /// <summary>
    /// Counts events; when armed, holds the next one (blocking its delivery thread: the reader on shm, the event loop
    /// elsewhere) until released, with a bound so a failed test cannot hang.
    /// </summary>
    private sealed class HeldNotes : INotes
    {
        private long _count;
        private volatile bool _holdNext;
        private readonly ManualResetEventSlim _release = new();

        public ManualResetEventSlim Held { get; } = new();

        public long Count => Volatile.Read(ref _count);

        public void HoldNext()
        {
            Held.Reset();
            _release.Reset();
            _holdNext = true;
        }

        public void Release() => _release.Set();

        public void Note(string text)
        {
            if (_holdNext)
            {
                _holdNext = false;
                Held.Set();
                _release.Wait(TimeSpan.FromSeconds(30));
            }
            Interlocked.Increment(ref _count);
        }
    }

    /// <summary>
    /// Warms up (pools, tiered JIT), then counts the process's allocations while <paramref name="run"/> does a batch of
    /// operations (one loop: the test's own async machinery is allocated once per batch, not per operation). The least of
    /// five batches: what every call allocates shows in each of them, while the runtime's own occasional work on a busy
    /// machine (socket engine queues, thread pool threads, timers) lands in some batches only.
    /// </summary>
    private static async Task<double> BytesPerOperationAsync(Func<int, Task> run)
    {
        const int batch = Operations / 5;
        await run(Operations);
        var least = double.MaxValue;
        for (var i = 0; i < 5; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            var before = GC.GetTotalAllocatedBytes(precise: true);
            await run(batch);
            least = Math.Min(least, (GC.GetTotalAllocatedBytes(precise: true) - before) / (double)batch);
        }
        return least;
    }

    private static long SizeOf(Func<object> allocate)
    {
        allocate();
        var before = GC.GetAllocatedBytesForCurrentThread();
        GC.KeepAlive(allocate());
        return GC.GetAllocatedBytesForCurrentThread() - before;
    }
}
