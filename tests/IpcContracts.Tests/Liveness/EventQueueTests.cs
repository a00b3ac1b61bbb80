using IpcContracts.Protocol;
using IpcContracts.TestContracts;
using IpcContracts.Tests.Support;

namespace IpcContracts.Tests.Liveness;

/// <summary>
/// Event queues are bounded on both sides and follow a declared overflow policy; publishing never waits on the
/// slowest subscriber (issue #11, defects 3, 4 and 12).
/// </summary>
public sealed class EventQueueTests
{
    /// <summary>
    /// Defect 3: on shm, one subscriber whose handler blocks made <c>Publish</c> block and starved every other
    /// client (113 of 2,000 publishes returned in 5 s). Now every publish returns and the healthy client gets all.
    /// </summary>
    [Theory]
    [InlineData("shm")]
    [InlineData("pipe")]
    public async Task A_stalled_subscriber_blocks_neither_the_publisher_nor_other_clients(string transport)
    {
        IpcServer? server = null;
        server = await IpcServer.StartAsync(Endpoints.For(transport), b => b.Handle<ICalculator>(new Calculator(() => server!.Publisher<ITicks>())));
        await using var _ = server;
        using var release = new ManualResetEventSlim();
        await using var stalled = await IpcClient.ConnectAsync(server.Endpoint.ToString());
        using var stalledSub = stalled.Subscribe<ITicks>(new BlockingTicks(release));
        await using var healthy = await IpcClient.ConnectAsync(server.Endpoint.ToString());
        var collector = new TickCollector(10_000);
        using var healthySub = healthy.Subscribe<ITicks>(collector);
        await Eventually.TrueAsync(() => server.Connections.Count(c => c.PeerSubscribed(new Connections.SubscriptionKey(false, ContractIds.Ticks))) == 2);
        var publisher = server.Publisher<ITicks>();

        try
        {
            var published = Task.Factory.StartNew(() =>
            {
                // 10,000 events of ~250 bytes: more than the 1 MiB ring of the stalled client.
                for (var i = 1; i <= 10_000; i++) publisher.Tick(new Tick(i, new string('p', 200)));
            }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
            await published.WaitAsync(TimeSpan.FromSeconds(30));
            await collector.Done.Task.WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(Enumerable.Range(1, 10_000), collector.Sequences);
        }
        finally
        {
            release.Set();
        }
    }

    /// <summary>
    /// Defect 4: a subscriber that blocks made its own process buffer received events without limit
    /// (+124 MiB for 60,000 events). Now the receive queue is bounded and the default policy closes the
    /// connection with a reason.
    /// </summary>
    [Fact]
    public async Task Received_events_beyond_the_bound_close_the_connection_with_a_reason_by_default()
    {
        await using var pair = await Pair.StartAsync(Endpoints.Pipe(), clientOptions: new IpcOptions
        {
            Reconnect = { Enabled = false },
            Events = { MaxQueuedBytes = 64 * 1024 },
        });
        using var release = new ManualResetEventSlim();
        using var sub = pair.Client.Subscribe<ITicks>(new BlockingTicks(release));
        await Eventually.TrueAsync(() => pair.Server.Connections.Any(c => c.PeerSubscribed(new Connections.SubscriptionKey(false, ContractIds.Ticks))));
        var publisher = pair.Server.Publisher<ITicks>();
        try
        {
            for (var i = 1; i <= 5000; i++) publisher.Tick(new Tick(i, new string('p', 100)));
            var reason = await pair.Client.Connection.Completion.WaitAsync(TimeSpan.FromSeconds(20));
            Assert.Contains("do not keep up", reason.Message);
            Assert.Contains("MaxQueuedBytes", reason.Message);
            Assert.Equal(DisconnectReason.Stalled, reason.Reason);
        }
        finally
        {
            release.Set();
        }
    }

    /// <summary>Defect 4 with DropOldest on the receiving side: memory stays at the bound, the connection lives, the newest events survive.</summary>
    [Fact]
    public async Task Received_events_beyond_the_bound_drop_the_oldest_under_DropOldest()
    {
        var clientOptions = new IpcOptions { Events = { MaxQueuedBytes = 32 * 1024 } };
        clientOptions.Events.SetOverflow<ITicks>(EventOverflowPolicy.DropOldest);
        await using var pair = await Pair.StartAsync(Endpoints.Pipe(), clientOptions: clientOptions);
        using var release = new ManualResetEventSlim();
        var blocking = new BlockingTicks(release);
        using var sub = pair.Client.Subscribe<ITicks>(blocking);
        await Eventually.TrueAsync(() => pair.Server.Connections.Any(c => c.PeerSubscribed(new Connections.SubscriptionKey(false, ContractIds.Ticks))));
        var publisher = pair.Server.Publisher<ITicks>();

        for (var i = 1; i <= 3000; i++) publisher.Tick(new Tick(i, new string('p', 100)));
        await pair.Client.Connection.PingAsync(); // every event was read: the ping's answer came after them
        var queued = pair.Client.Connection.ReceivedEventBytesQueued;
        release.Set();

        Assert.True(queued <= 32 * 1024 + 1024, $"{queued} bytes of events were queued");
        await Eventually.TrueAsync(() => blocking.Seen.Contains(3000));
        Assert.True(pair.Client.Connection.IsConnected);
        Assert.True(pair.Client.Connection.ReceivedEventsDropped > 0);
        Assert.Equal(blocking.Seen.Order(), blocking.Seen); // what survives still arrives in order
    }

    /// <summary>
    /// Publisher side, default policy: a subscriber that stops reading (a raw peer that never reads) is
    /// disconnected once its queue passes the bound; a healthy subscriber receives everything.
    /// </summary>
    [Fact]
    public async Task A_subscriber_that_stops_reading_is_disconnected_and_the_others_get_everything()
    {
        var options = new IpcOptions { Events = { MaxQueuedBytes = 256 * 1024 } };
        await using var server = await IpcServer.StartAsync(Endpoints.Pipe(), options: options);
        var disconnected = new TaskCompletionSource<Exception>(TaskCreationOptions.RunContinuationsAsynchronously);
        var reasons = new System.Collections.Concurrent.ConcurrentQueue<string>();
        server.ClientDisconnected += (_, reason) =>
        {
            reasons.Enqueue(reason.Message);
            disconnected.TrySetResult(reason);
        };
        await using var raw = await ConnectSubscriberThatNeverReadsAsync(server);
        await using var healthy = await IpcClient.ConnectAsync(server.Endpoint.ToString());
        var collector = new TickCollector(20_000);
        using var sub = healthy.Subscribe<ITicks>(collector);
        await Eventually.TrueAsync(() => server.Connections.Count(c => c.PeerSubscribed(new Connections.SubscriptionKey(false, ContractIds.Ticks))) == 2);
        var publisher = server.Publisher<ITicks>();

        // Paced by the healthy subscriber, so only the one that stopped reading falls behind by more than the bound. At most
        // 500 events (about 170 B each as a frame, 85 KB) are ahead of it, a third of the bound: the pacing used to allow 1,500
        // (about 255 KB, 97% of the 256 KiB bound), so a healthy subscriber that a loaded machine slowed could be cut off too.
        for (var i = 1; i <= 20_000; i++)
        {
            publisher.Tick(new Tick(i, new string('p', 100)));
            if (i % 100 == 0)
                await Eventually.TrueAsync(() => collector.Count >= i - 400, state: () =>
                    $"The healthy subscriber had {collector.Count} of {i} events (connected: {healthy.Connection.IsConnected}); server connections disconnected: [{string.Join(" | ", reasons)}].");
        }

        var reason = await disconnected.Task.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Contains("not keeping up", reason.Message);
        Assert.Equal(DisconnectReason.Stalled, Assert.IsType<ChannelFaultedException>(reason).Reason);
        await collector.Done.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(Enumerable.Range(1, 20_000), collector.Sequences);
    }

    /// <summary>Publisher side, DropOldest per contract: the slow subscriber stays connected and its queue stays at the bound.</summary>
    [Fact]
    public async Task DropOldest_keeps_a_slow_subscriber_connected_with_a_bounded_queue()
    {
        var options = new IpcOptions { Events = { MaxQueuedBytes = 256 * 1024 } };
        options.Events.SetOverflow<ITicks>(EventOverflowPolicy.DropOldest);
        await using var server = await IpcServer.StartAsync(Endpoints.Pipe(), options: options);
        await using var raw = await ConnectSubscriberThatNeverReadsAsync(server);
        await Eventually.TrueAsync(() => server.Connections.Count == 1);
        var connection = server.Connections.Single();
        var publisher = server.Publisher<ITicks>();

        for (var i = 1; i <= 20_000; i++) publisher.Tick(new Tick(i, new string('p', 100)));

        Assert.True(connection.IsConnected);
        Assert.True(connection.SendQueueBytes <= 256 * 1024 + 64 * 1024, $"{connection.SendQueueBytes} bytes queued");
        Assert.True(connection.EventsDropped > 0);
        // The newest event survived: read everything and find the last one.
        var last = 0;
        while (last < 20_000)
        {
            var frame = await raw.ReceiveAsync() ?? throw new Xunit.Sdk.XunitException("closed");
            if (frame.Header.Kind != FrameKind.Event) continue;
            Assert.True(RawPeer.Parse(frame.Json).TryGetProperty("tick", out var tick), frame.Json);
            last = tick.GetProperty("Sequence").GetInt32();
        }
        Assert.Equal(20_000, last);
    }

    /// <summary>Publisher side, Wait: the publisher waits for room up to the timeout, then the slow subscriber is disconnected.</summary>
    [Fact]
    public async Task Wait_blocks_the_publisher_up_to_the_timeout_then_disconnects()
    {
        var options = new IpcOptions { Events = { MaxQueuedBytes = 128 * 1024, Overflow = EventOverflowPolicy.Wait, WaitTimeout = TimeSpan.FromMilliseconds(500) } };
        await using var server = await IpcServer.StartAsync(Endpoints.Pipe(), options: options);
        var disconnected = new TaskCompletionSource<Exception>(TaskCreationOptions.RunContinuationsAsynchronously);
        var reasons = new System.Collections.Concurrent.ConcurrentQueue<string>();
        server.ClientDisconnected += (_, reason) =>
        {
            reasons.Enqueue(reason.Message);
            disconnected.TrySetResult(reason);
        };
        await using var raw = await ConnectSubscriberThatNeverReadsAsync(server);
        await Eventually.TrueAsync(() => server.Connections.Count == 1);
        var publisher = server.Publisher<ITicks>();

        var published = Task.Factory.StartNew(() =>
        {
            for (var i = 1; i <= 20_000; i++) publisher.Tick(new Tick(i, new string('p', 100)));
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

        var reason = await disconnected.Task.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Contains("EventOverflowPolicy.Wait", reason.Message);
        Assert.Equal(DisconnectReason.Stalled, Assert.IsType<ChannelFaultedException>(reason).Reason);
        await published.WaitAsync(TimeSpan.FromSeconds(20));
    }

    /// <summary>
    /// Defect 12: on shm, subscribers run on the reader thread; the next subscriber used to start before the
    /// previous one's asynchronous part had finished, against the ordering rule in docs/protocol.md.
    /// </summary>
    [Theory]
    [InlineData("shm")]
    [InlineData("pipe")]
    public async Task The_next_subscriber_starts_only_after_the_previous_one_finished(string transport)
    {
        await using var pair = await Pair.StartAsync(Endpoints.For(transport));
        var log = new List<string>();
        using var first = pair.Client.Subscribe<ITicks>(new LoggingTicks(log, "a", yields: true));
        using var second = pair.Client.Subscribe<ITicks>(new LoggingTicks(log, "b", yields: false));
        await Eventually.TrueAsync(() => pair.Server.Connections.Any(c => c.PeerSubscribed(new Connections.SubscriptionKey(false, ContractIds.Ticks))));
        var publisher = pair.Server.Publisher<ITicks>();

        for (var i = 1; i <= 20; i++) _ = publisher.Reset($"{i}");
        await Eventually.TrueAsync(() => { lock (log) return log.Count == 60; });

        var expected = Enumerable.Range(1, 20).SelectMany(i => new[] { $"a{i} start", $"a{i} end", $"b{i} start" });
        lock (log) Assert.Equal(expected, log);
    }

    /// <summary>A raw peer that subscribes to ITicks in its Hello and then reads nothing more (until the test reads).</summary>
    private static async Task<RawPeer> ConnectSubscriberThatNeverReadsAsync(IpcServer server)
    {
        var raw = await RawPeer.ConnectAsync(server.Endpoint.ToString());
        await raw.SendAsync(RawPeer.Frame(FrameKind.Hello, json: RawPeer.Hello(subscribes: $"[{ContractIds.Ticks}]")));
        await raw.ExpectAsync(FrameKind.Hello);
        return raw;
    }

    private sealed class BlockingTicks(ManualResetEventSlim release) : ITicks
    {
        public List<int> Seen { get; } = [];

        public void Tick(Tick tick)
        {
            release.Wait(TimeSpan.FromSeconds(60));
            lock (Seen) Seen.Add(tick.Sequence);
        }

        public Task Reset(string reason) => Task.CompletedTask;
    }

    /// <summary>An ITicks subscriber whose Reset (a Task-returning event method) has an asynchronous part.</summary>
    private sealed class LoggingTicks(List<string> log, string name, bool yields) : ITicks
    {
        public void Tick(Tick tick) { }

        public async Task Reset(string reason)
        {
            lock (log) log.Add($"{name}{reason} start");
            if (!yields) return;
            await Task.Delay(5);
            lock (log) log.Add($"{name}{reason} end");
        }
    }
}
