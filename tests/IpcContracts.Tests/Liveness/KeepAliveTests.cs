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
