using System.Collections.Concurrent;
using IpcContracts.TestContracts;
using IpcContracts.Tests.Support;

namespace IpcContracts.Tests.Liveness;

/// <summary>The receive side's event delivery keeps going whatever a subscriber or the application's error callback does.</summary>
public sealed class EventLoopTests
{
    /// <summary>
    /// <see cref="IpcOptions.EventHandlerException"/> is application code too: when it throws while reporting a
    /// subscriber's failure, later events are still delivered and the connection stays up. Before, the throw
    /// escaped the event loop (pipe: the loop ended and every later event waited in the queue until the bound
    /// closed the connection) or the reader thread (shm, inline delivery: the connection was dropped as "lost").
    /// </summary>
    [Theory]
    [InlineData("pipe")]
    [InlineData("shm")]
    public async Task Events_keep_coming_when_the_EventHandlerException_callback_throws(string transport)
    {
        var reported = 0;
        var clientOptions = new IpcOptions
        {
            Reconnect = { Enabled = false },
            EventHandlerException = _ =>
            {
                Interlocked.Increment(ref reported);
                throw new InvalidOperationException("the error callback broke too");
            },
        };
        await using var pair = await Pair.StartAsync(Endpoints.For(transport), clientOptions: clientOptions);
        var collector = new TickCollector(3) { ThrowOnSequence = 1 };
        using var sub = pair.Client.Subscribe<ITicks>(collector);
        await Eventually.TrueAsync(() => pair.Server.Connections.Any(c => c.PeerSubscribed(new Connections.SubscriptionKey(false, ContractIds.Ticks))));
        var publisher = pair.Server.Publisher<ITicks>();

        for (var i = 1; i <= 3; i++) publisher.Tick(new Tick(i, "p"));

        await collector.Done.Task.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal([1, 2, 3], collector.Sequences);
        Assert.Equal(1, Volatile.Read(ref reported));
        Assert.True(pair.Client.Connection.IsConnected);
        Assert.Equal(42, await pair.Calculator.GetAnswerAsync());
    }

    /// <summary>
    /// On shm the read loop has a thread of its own because its reads block (spin, then futex). When local
    /// subscribers fall behind under <see cref="EventOverflowPolicy.Wait"/>, reading pauses; afterwards it must go on
    /// on that thread. Before, the loop resumed on whichever pool thread ended the pause and stayed there, one pool
    /// thread per such connection blocked in ring reads for good. Seen from an event delivered inline after the
    /// pause: it ran on a pool thread.
    /// </summary>
    [Fact]
    public async Task After_a_Wait_pause_the_shm_read_loop_goes_on_on_its_own_thread()
    {
        var clientOptions = new IpcOptions
        {
            Reconnect = { Enabled = false },
            Events = { MaxQueuedBytes = 1024, Overflow = EventOverflowPolicy.Wait, WaitTimeout = TimeSpan.FromSeconds(60) },
        };
        await using var pair = await Pair.StartAsync(Endpoints.For("shm"), clientOptions: clientOptions);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var subscriber = new ThreadRecordingTicks(release.Task);
        using var sub = pair.Client.Subscribe<ITicks>(subscriber);
        await Eventually.TrueAsync(() => pair.Server.Connections.Any(c => c.PeerSubscribed(new Connections.SubscriptionKey(false, ContractIds.Ticks))));
        var publisher = pair.Server.Publisher<ITicks>();

        // The first delivery goes asynchronous; the ticks behind it queue past the bound and reading pauses.
        _ = publisher.Reset("hold"); // a publish: the task only says it was queued
        for (var i = 1; i <= 20; i++) publisher.Tick(new Tick(i, new string('p', 200)));
        await Eventually.TrueAsync(() => pair.Client.Connection.ReceivedEventBytesQueued > 1024);
        release.SetResult();
        await Eventually.TrueAsync(() => subscriber.Seen.Count == 20 && pair.Client.Connection.ReceivedEventBytesQueued == 0);

        publisher.Tick(new Tick(999, "after the pause")); // nothing queued: delivered inline by the read loop
        var thread = await subscriber.Last.Task.WaitAsync(TimeSpan.FromSeconds(20));

        Assert.False(thread.IsThreadPoolThread, $"The read loop went on on pool thread '{thread.Name}'.");
        Assert.Equal("IpcContracts reader", thread.Name);
        Assert.True(pair.Client.Connection.IsConnected);
    }

    private sealed class ThreadRecordingTicks(Task release) : ITicks
    {
        public ConcurrentQueue<int> Seen { get; } = new();
        public TaskCompletionSource<Thread> Last { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Tick(Tick tick)
        {
            if (tick.Sequence == 999) Last.TrySetResult(Thread.CurrentThread);
            else Seen.Enqueue(tick.Sequence);
        }

        public async Task Reset(string reason) => await release;
    }
}
