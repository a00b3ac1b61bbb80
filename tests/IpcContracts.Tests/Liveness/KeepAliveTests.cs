using IpcContracts.TestContracts;
using IpcContracts.Tests.Support;

namespace IpcContracts.Tests.Liveness;

/// <summary>
/// The keep-alive (IpcOptions.KeepAliveInterval, KeepAliveTimeout; docs/semantics.md, "Connections and reconnects"): a
/// peer that is gone while its end of the connection stays open sends nothing and refuses nothing, so only silence can
/// tell. The server process is stopped (SIGSTOP): its sockets and shared memory stay open, exactly like a host that lost
/// its network or a process frozen in a debugger. Without the keep-alive the call below has no deadline and waits forever.
/// </summary>
public abstract class KeepAliveTests(string transport)
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60); // turns a hang into a failure; not a performance threshold

    [Fact]
    public async Task A_call_without_a_deadline_to_a_peer_that_falls_silent_fails_with_PeerLost_after_the_keep_alive_timeout()
    {
        await using var host = await HostProcess.StartServerAsync(Endpoints.For(transport));
        var options = new IpcOptions
        {
            DefaultCallTimeout = Timeout.InfiniteTimeSpan,
            KeepAliveInterval = TimeSpan.FromMilliseconds(200),
            KeepAliveTimeout = TimeSpan.FromSeconds(2),
            Reconnect = { Enabled = false },
        };
        await using var client = await IpcClient.ConnectAsync(host.Endpoint, options: options);
        var calc = client.Proxy<ICalculator>();
        Assert.Equal(42, await calc.GetAnswerAsync());
        var call = calc.DelayAsync(600_000, CancellationToken.None);

        ProcessSignal.Send(host.Id, "STOP");
        try
        {
            var failed = await Assert.ThrowsAsync<ChannelFaultedException>(() => call.WaitAsync(Bound));
            Assert.Equal(DisconnectReason.PeerLost, failed.Reason);
            Assert.Contains("KeepAliveTimeout", failed.Message);
            Assert.DoesNotContain("backlog", failed.Message); // nothing was waiting to be sent: the keep-alive alone
            Assert.False(client.Connection.IsConnected);
            Assert.True(client.Connection.KeepAlivePingsSent > 0, "the silent peer was sent a keep-alive Ping first");
        }
        finally
        {
            ProcessSignal.Send(host.Id, "CONT");
        }
    }

    [Fact]
    public async Task An_idle_connection_stays_open_across_many_keep_alive_timeouts_because_the_peer_answers_the_Pings()
    {
        await using var host = await HostProcess.StartServerAsync(Endpoints.For(transport));
        var options = new IpcOptions
        {
            KeepAliveInterval = TimeSpan.FromMilliseconds(50),
            KeepAliveTimeout = TimeSpan.FromSeconds(3),
            Reconnect = { Enabled = false },
        };
        await using var client = await IpcClient.ConnectAsync(host.Endpoint, options: options);
        var calc = client.Proxy<ICalculator>();
        Assert.Equal(42, await calc.GetAnswerAsync());

        // Idle (no call, no event) for longer than two timeouts: only the Pongs keep it open. The count of Pings, not a
        // clock, says how long that was (at least 120 intervals of silence, 6 s).
        await Eventually.TrueAsync(() => client.Connection.KeepAlivePingsSent >= 120 || !client.Connection.IsConnected, (int)Bound.TotalMilliseconds);
        if (!client.Connection.IsConnected) Assert.Fail($"The idle connection was closed: {(await client.Connection.Completion).Message}");
        Assert.Equal(42, await calc.GetAnswerAsync());
    }

    /// <summary>
    /// A subscriber sends nothing back, and a keep-alive Ping queued behind a backlog of events cannot reach it sooner than
    /// the backlog: while bytes wait to be sent, the send-stall bound judges the peer, not the keep-alive. The subscriber
    /// process is stopped with events queued for it for three keep-alive timeouts, then let go: it takes them all and the
    /// connection stays open. Without the rule the publisher would close it as silent after the first timeout.
    /// </summary>
    [Fact]
    public async Task A_subscriber_that_takes_a_backlog_is_not_closed_as_silent_while_the_backlog_waits()
    {
        var options = new IpcOptions
        {
            KeepAliveInterval = TimeSpan.FromMilliseconds(100),
            KeepAliveTimeout = TimeSpan.FromSeconds(2),
            SendStallTimeout = TimeSpan.FromMinutes(2),
        };
        await using var server = await IpcServer.StartAsync(Endpoints.For(transport), options: options);
        await using var host = HostProcess.StartClient(server.Endpoint.ToString(), "listen");
        await host.WaitForLineAsync("OK subscribed");
        await Eventually.TrueAsync(() => server.Connections.Count(c => c.PeerSubscribed(new(false, ContractIds.Ticks))) == 1, (int)Bound.TotalMilliseconds);
        var connection = server.Connections.Single();
        var publisher = server.Publisher<ITicks>();
        var source = new string('x', 2000);

        ProcessSignal.Send(host.Id, "STOP");
        try
        {
            // Far more than any socket buffer or ring holds (40 MB), well under the 64 MiB event queue.
            for (var i = 1; i <= 20_000; i++) publisher.Tick(new Tick(i, source));
            Assert.True(connection.SendQueueBytes > 0, "events wait for the stopped subscriber");
            await Task.Delay(3 * options.KeepAliveTimeout); // a wait, not an assertion on time: three timeouts of silence
            Assert.True(connection.IsConnected, "closed as silent while a backlog waited");
        }
        finally
        {
            ProcessSignal.Send(host.Id, "CONT");
        }
        await Eventually.TrueAsync(() => connection.SendQueueBytes == 0 || !connection.IsConnected, (int)Bound.TotalMilliseconds);
        // The backlog is gone; the subscriber answers the Pings that follow (at least twenty intervals of them).
        var pings = connection.KeepAlivePingsSent;
        await Eventually.TrueAsync(() => connection.KeepAlivePingsSent >= pings + 20 || !connection.IsConnected, (int)Bound.TotalMilliseconds);
        if (!connection.IsConnected) Assert.Fail($"The subscriber's connection was closed: {(await connection.Completion).Message}");
    }

    /// <summary>
    /// When this side's queue of bytes for the peer empties, the last of them are not yet read: a socket's kernel buffers
    /// or a ring hold them (megabytes over loopback tcp), and a Ping sent now waits behind them. A subscriber that takes
    /// them slowly is reading, not gone. Here it holds (an asynchronous subscriber awaiting a gate, with the Wait overflow
    /// policy, so its reader pauses) with a backlog's last events unread and this side's queue empty, for three
    /// keep-alive timeouts; it must not be closed as silent, and it takes everything once let go. Before the rule, the
    /// connection was closed a keep-alive timeout after the queue emptied (seen in CI on tcp: a subscriber taking 40 MB
    /// slowly had not reached the Ping 2 s after the queue drained).
    /// </summary>
    [Fact]
    public async Task A_subscriber_still_reading_the_last_of_a_backlog_after_the_queue_emptied_is_not_closed_as_silent()
    {
        var serverOptions = BacklogServerOptions(TimeSpan.FromMinutes(2));
        await using var held = await HoldWithTheLastOfABacklogUnreadAsync(serverOptions);
        var (connection, subscriber, sent) = (held.Connection, held.Subscriber, held.Sent);

        await Task.Delay(3 * serverOptions.KeepAliveTimeout); // a wait, not an assertion on time: three timeouts
        if (!connection.IsConnected) Assert.Fail($"Closed while the subscriber held with bytes unread: {(await connection.Completion).Message}");

        subscriber.Open(1);
        await Eventually.TrueAsync(() => subscriber.Seen == sent || !connection.IsConnected, (int)Bound.TotalMilliseconds);
        var pings = connection.KeepAlivePingsSent;
        await Eventually.TrueAsync(() => connection.KeepAlivePingsSent >= pings + 20 || !connection.IsConnected, (int)Bound.TotalMilliseconds);
        if (!connection.IsConnected) Assert.Fail($"The subscriber's connection was closed: {(await connection.Completion).Message}");
        Assert.Equal(sent, subscriber.Seen);
    }

    /// <summary>
    /// The other half of the rule above: it only lends the peer the send-stall bound's time. A subscriber that never
    /// takes the last of a backlog (held for good) is still closed as lost once SendStallTimeout has passed since this
    /// side last saw the backlog, with the keep-alive's reason; the wait stays bounded.
    /// </summary>
    [Fact]
    public async Task A_subscriber_that_never_takes_the_last_of_a_backlog_is_closed_as_lost_once_the_send_stall_time_is_over()
    {
        var serverOptions = BacklogServerOptions(TimeSpan.FromSeconds(3));
        await using var held = await HoldWithTheLastOfABacklogUnreadAsync(serverOptions);
        var connection = held.Connection;

        var closed = await connection.Completion.WaitAsync(Bound);
        Assert.Equal(DisconnectReason.PeerLost, closed.Reason);
        Assert.Contains("KeepAliveTimeout", closed.Message);
        Assert.Contains("backlog", closed.Message); // the message says which bound applied
        Assert.Contains("IpcOptions.SendStallTimeout (3 s)", closed.Message);
        Assert.True(held.Subscriber.Seen < held.Sent, "the subscriber never took the last events");
    }

    private static IpcOptions BacklogServerOptions(TimeSpan sendStallTimeout) => new()
    {
        KeepAliveInterval = TimeSpan.FromMilliseconds(100),
        KeepAliveTimeout = TimeSpan.FromSeconds(1),
        SendStallTimeout = sendStallTimeout,
    };

    /// <summary>
    /// A server connection whose queue for its subscriber emptied after a backlog while the subscriber holds (an
    /// asynchronous subscriber awaiting gate 1, with the Wait overflow policy, so its reader pauses) with the backlog's
    /// last events unread in the buffers between the two ends, and a keep-alive Ping behind them.
    /// </summary>
    private async Task<HeldSubscriber> HoldWithTheLastOfABacklogUnreadAsync(IpcOptions serverOptions)
    {
        var clientOptions = new IpcOptions
        {
            Reconnect = { Enabled = false },
            Events = { MaxQueuedBytes = 16 * 1024, Overflow = EventOverflowPolicy.Wait, WaitTimeout = TimeSpan.FromMinutes(2) },
        };
        var pair = await Pair.StartAsync(Endpoints.For(transport), serverOptions, clientOptions);
        var subscriber = new GatedTicks();
        var sub = pair.Client.Subscribe<ITicks>(subscriber);
        var held = new HeldSubscriber(pair, sub, subscriber);
        try
        {
            await Eventually.TrueAsync(() => pair.Server.Connections.Any(c => c.PeerSubscribed(new(false, ContractIds.Ticks))), (int)Bound.TotalMilliseconds);
            var connection = held.Connection = pair.Server.Connections.Single();
            var publisher = pair.Server.Publisher<ITicks>();
            var text = new string('x', 2000);

            // A backlog: the subscriber holds at the first gate while events pile up past what the buffers between the
            // processes take, and this side's queue holds the rest.
            _ = publisher.Reset("gate 0");
            while (connection.SendQueueBytes < Backlog && held.Sent < 20_000) publisher.Tick(new Tick(++held.Sent, text));
            await Task.Delay(4 * serverOptions.KeepAliveInterval); // a wait, not an assertion: the timer sees the backlog
            Assert.True(connection.SendQueueBytes > 0, $"a backlog waits for the holding subscriber ({connection.SendQueueBytes} bytes queued after {held.Sent} events)");
            // Behind it, the second gate and a few events: less than the buffers take, so the queue can empty while the
            // subscriber holds at that gate with them unread.
            _ = publisher.Reset("gate 1");
            for (var i = 0; i < 40; i++) publisher.Tick(new Tick(++held.Sent, text));
            subscriber.Open(0);
            await Eventually.TrueAsync(() => connection.SendQueueBytes == 0 || !connection.IsConnected, (int)Bound.TotalMilliseconds);
            await Eventually.TrueAsync(() => subscriber.Held == 1 || !connection.IsConnected, (int)Bound.TotalMilliseconds);
            Assert.True(subscriber.Seen < held.Sent, "the last events wait unread while the subscriber holds");
            return held;
        }
        catch
        {
            await held.DisposeAsync();
            throw;
        }
    }

    private sealed class HeldSubscriber(Pair pair, IDisposable subscription, GatedTicks subscriber) : IAsyncDisposable
    {
        public GatedTicks Subscriber => subscriber;
        public IpcConnection Connection { get; set; } = null!;
        public int Sent;

        public async ValueTask DisposeAsync()
        {
            subscriber.Open(0);
            subscriber.Open(1);
            subscription.Dispose();
            await pair.DisposeAsync();
        }
    }

    /// <summary>
    /// Bytes queued on this side that make a backlog that lasts: while it waits, the kernel's buffers grow and take some
    /// (1 MiB queued over loopback tcp was gone 400 ms later; a frame being written counts while it is written).
    /// </summary>
    private const long Backlog = 8 << 20;

    /// <summary>Counts ticks; each Reset holds delivery until the test opens its gate (Reset "gate N" is gate N).</summary>
    private sealed class GatedTicks : ITicks
    {
        private readonly TaskCompletionSource[] _gates = [new(TaskCreationOptions.RunContinuationsAsynchronously), new(TaskCreationOptions.RunContinuationsAsynchronously)];
        private int _seen;
        private int _held = -1;

        public int Seen => Volatile.Read(ref _seen);

        /// <summary>The gate the subscriber last reached.</summary>
        public int Held => Volatile.Read(ref _held);

        public void Open(int gate) => _gates[gate].TrySetResult();

        public void Tick(Tick tick) => Interlocked.Increment(ref _seen);

        public async Task Reset(string reason)
        {
            var gate = int.Parse(reason["gate ".Length..], System.Globalization.CultureInfo.InvariantCulture);
            Volatile.Write(ref _held, gate);
            await _gates[gate].Task;
        }
    }
}

public sealed class PipeKeepAlive() : KeepAliveTests("pipe");

public sealed class TcpKeepAlive() : KeepAliveTests("tcp");

public sealed class ShmKeepAlive() : KeepAliveTests("shm");

public sealed class ShmKeepAliveReaderThreadTests
{
    /// <summary>
    /// Silence is time spent waiting for the peer's bytes. Over shm a caller's continuation runs inline on the connection's
    /// reader thread (IpcOptions.ContinuationsOnReaderThread), so one that holds that thread holds the read loop: that is
    /// this process's doing, and this side must not call the peer lost for it. (On pipe and tcp the next read is armed
    /// before a caller resumes, so a caller cannot hold the loop: Liveness/CallerContinuationTests.)
    /// </summary>
    [Fact]
    public async Task A_caller_that_holds_the_reader_thread_for_longer_than_the_timeout_does_not_make_this_side_call_the_peer_lost()
    {
        await using var host = await HostProcess.StartServerAsync(Endpoints.For("shm"));
        var options = new IpcOptions
        {
            KeepAliveInterval = TimeSpan.FromMilliseconds(100),
            KeepAliveTimeout = TimeSpan.FromSeconds(1),
            Reconnect = { Enabled = false },
        };
        await using var client = await IpcClient.ConnectAsync(host.Endpoint, options: options);
        var calc = client.Proxy<ICalculator>();
        Assert.Equal(42, await calc.GetAnswerAsync());
        Assert.Equal("IpcContracts reader", Thread.CurrentThread.Name); // the premise: this code runs on the reader thread
        Thread.Sleep(3 * options.KeepAliveTimeout); // holds the reader thread, which resumed this test

        await Task.Yield();
        if (!client.Connection.IsConnected) Assert.Fail($"The connection was closed: {(await client.Connection.Completion).Message}");
        Assert.Equal(42, await calc.GetAnswerAsync());
    }
}

public sealed class KeepAliveOptionsTests
{
    [Theory]
    [InlineData(0, 60_000, "KeepAliveInterval must be positive")]
    [InlineData(15_000, -5, "KeepAliveTimeout must be positive")]
    [InlineData(15_000, 15_000, "must be longer than IpcOptions.KeepAliveInterval")]
    public void Invalid_keep_alive_settings_are_refused_with_a_message_naming_them(int intervalMs, int timeoutMs, string expected)
    {
        var options = new IpcOptions { KeepAliveInterval = TimeSpan.FromMilliseconds(intervalMs), KeepAliveTimeout = TimeSpan.FromMilliseconds(timeoutMs) };
        var error = Assert.Throws<IpcConfigurationException>(options.ThrowIfInvalid);
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void Either_may_be_turned_off()
    {
        new IpcOptions { KeepAliveInterval = Timeout.InfiniteTimeSpan }.ThrowIfInvalid();
        new IpcOptions { KeepAliveTimeout = Timeout.InfiniteTimeSpan, KeepAliveInterval = TimeSpan.FromSeconds(1) }.ThrowIfInvalid();
    }
}
