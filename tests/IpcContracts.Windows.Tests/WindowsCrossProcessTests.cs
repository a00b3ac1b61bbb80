using IpcContracts.TestContracts;

namespace IpcContracts.Windows.Tests;

/// <summary>
/// The conformance cases that apply across two real Windows processes, once per transport (PipeOnWindows, ShmOnWindows,
/// TcpOnWindows): this test program and tests/IpcContracts.TestHost, each a win-x64 .exe, run under Wine here
/// (.ci/windows-tests.sh). Each case is also checked on Linux by tests/IpcContracts.Tests (docs/semantics.md names both).
/// Every wait is bounded: a case that hangs fails, it does not stop the run.
/// </summary>
public abstract class WindowsCrossProcessTests(string transport)
{
    /// <summary>
    /// Per case, in milliseconds: xunit fails a case that runs longer and cancels its token (ct in each case), which ends
    /// the waits it was passed to. A bound, not a measurement: starting a host under Wine takes seconds.
    /// </summary>
    protected const int CaseTimeout = 240_000;

    /// <summary>No reconnect and no call deadline: a call fails only through what the case does to the peer.</summary>
    private static IpcOptions PeerFaultOptions()
    {
        var options = WindowsHost.Options();
        options.Reconnect.Enabled = false;
        options.DefaultCallTimeout = Timeout.InfiniteTimeSpan;
        // Under Wine a killed process's socket can outlive it (wineserver holds its own descriptor; seen once in CI: tcp,
        // no end of stream within 90 s), so the end of stream may never come; the keep-alive is what notices the silence,
        // as it would for a Windows host that lost its network. Generous: a Wine process on loaded cores answers slowly.
        options.KeepAliveInterval = TimeSpan.FromSeconds(1);
        options.KeepAliveTimeout = TimeSpan.FromSeconds(20);
        return options;
    }

    private string NewEndpoint() => transport switch
    {
        "pipe" => $"pipe://w-{Guid.NewGuid():N}"[..24],
        "shm" => $"shm://w-{Guid.NewGuid():N}"[..23],
        "tcp" => "tcp://127.0.0.1:0",
        _ => throw new ArgumentException(transport),
    };

    [Fact(Timeout = CaseTimeout)]
    public async Task Requests_with_checked_payloads_and_a_callback_cross_between_two_processes()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var host = await WindowsHost.StartServerAsync(NewEndpoint());
        await using var client = await IpcClient.ConnectAsync(host.Endpoint, b => b.Handle<IClientCallback>(new UpperCaser()), WindowsHost.Options(), ct);
        var calc = client.Proxy<ICalculator>();

        Assert.Equal(42, await calc.GetAnswerAsync());
        Assert.Equal(5, await calc.AddAsync(2, 3, ct));
        Assert.Equal(new Totals(-10, "négatif ✓"), await calc.SumAsync([1, 2, 3, 4], "négatif ✓", true, ct));
        for (var i = 0; i < 200; i++)
        {
            var text = $"round trip {i} " + new string((char)('a' + i % 26), i);
            Assert.Equal(text, await calc.EchoAsync(text));
        }
        Assert.Equal("server saw 'CROSS'", await calc.CallBackAsync("cross"));
    }

    [Fact(Timeout = CaseTimeout)]
    public async Task A_client_process_calls_a_server_here_is_called_back_and_gets_a_remote_exception()
    {
        var ct = TestContext.Current.CancellationToken;
        IpcServer? server = null;
        server = await IpcServer.StartAsync(NewEndpoint(), b => b.Handle<ICalculator>(new Calculator(() => server!.Publisher<ITicks>())), WindowsHost.Options(), ct);
        await using var _ = server;

        await using var host = WindowsHost.StartClient(server.Endpoint.ToString(), "basic");

        Assert.True(await host.WaitForExitAsync() == 0, host.Output);
        Assert.Contains("OK answer 42", host.Lines);
        Assert.Contains("OK sum -6", host.Lines);
        Assert.Contains("OK callback server saw 'HELLO'", host.Lines);
        Assert.Contains("OK remote System.InvalidOperationException boom", host.Lines);
    }

    [Fact(Timeout = CaseTimeout)]
    public async Task Events_fan_out_in_order_to_every_subscribed_client_process()
    {
        var ct = TestContext.Current.CancellationToken;
        const int Count = 300;
        await using var server = await IpcServer.StartAsync(NewEndpoint(), options: WindowsHost.Options(), cancellationToken: ct);
        var endpoint = server.Endpoint.ToString();
        await using var first = WindowsHost.StartClient(endpoint, $"ticks:{Count}");
        await using var second = WindowsHost.StartClient(endpoint, $"ticks:{Count}");
        await using var local = await IpcClient.ConnectAsync(endpoint, options: WindowsHost.Options(), cancellationToken: ct);
        var collector = new TickCollector(Count);
        using var subscription = await local.SubscribeAsync<ITicks>(collector, cancellationToken: ct);
        // "OK subscribed" is printed once the server has the subscription: every tick published from here on is delivered.
        await first.WaitForLineAsync("OK subscribed");
        await second.WaitForLineAsync("OK subscribed");

        var ticks = server.Publisher<ITicks>();
        for (var i = 1; i <= Count; i++) ticks.Tick(new Tick(i, "fan-out"));

        Assert.True(await first.WaitForExitAsync() == 0, first.Output);
        Assert.True(await second.WaitForExitAsync() == 0, second.Output);
        Assert.Contains($"OK events {Count}", first.Lines);
        Assert.Contains($"OK events {Count}", second.Lines);
        await collector.Done.Task.WaitAsync(WindowsHost.Bound, ct);
        Assert.Equal(Enumerable.Range(1, Count), collector.Sequences);
    }

    [Fact(Timeout = CaseTimeout)]
    public async Task A_handler_exception_in_the_server_process_arrives_as_RemoteInvocationException_and_the_connection_survives()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var host = await WindowsHost.StartServerAsync(NewEndpoint());
        await using var client = await IpcClient.ConnectAsync(host.Endpoint, options: WindowsHost.Options(), cancellationToken: ct);
        var calc = client.Proxy<ICalculator>();
        var errors = client.Proxy<IErrors>();

        var e = await Assert.ThrowsAsync<RemoteInvocationException>(() => calc.ThrowAsync("from the other process"));
        var coded = await Assert.ThrowsAsync<RemoteInvocationException>(() => errors.FailCodedAsync("inventory.out_of_stock", "Only 3 left."));

        Assert.Equal(("System.InvalidOperationException", "from the other process"), (e.RemoteType, e.RemoteMessage));
        Assert.Equal(RemoteInvocationException.UnhandledErrorCode, e.ErrorCode);
        Assert.Equal(("inventory.out_of_stock", "Only 3 left."), (coded.ErrorCode, coded.RemoteMessage));
        Assert.Equal(42, await calc.GetAnswerAsync());
    }

    [Fact(Timeout = CaseTimeout)]
    public async Task A_stream_from_the_server_process_arrives_in_order_and_breaking_out_cancels_the_producer_there()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var host = await WindowsHost.StartServerAsync(NewEndpoint());
        await using var client = await IpcClient.ConnectAsync(host.Endpoint, options: WindowsHost.Options(), cancellationToken: ct);
        var streams = client.Proxy<IStreams>();

        var items = new List<int>();
        await foreach (var i in streams.RangeAsync(1, 5000, ct)) items.Add(i);
        Assert.Equal(Enumerable.Range(1, 5000), items);

        var probe = Guid.NewGuid().ToString("N");
        var taken = 0;
        await foreach (var _ in streams.EndlessAsync(probe, ct))
        {
            if (++taken == 10) break;
        }
        await Eventually.TrueAsync(async () => await streams.ProbeAsync(probe) is { Cancelled: true, Disposed: true }, "the producer saw the cancellation");

        var failed = await Assert.ThrowsAsync<RemoteInvocationException>(async () => { await foreach (var _ in streams.FailAfterAsync(2, "far away")) { } });
        Assert.Equal("far away", failed.RemoteMessage);
    }

    [Fact(Timeout = CaseTimeout)]
    public async Task An_argument_stream_with_progress_reaches_the_server_process_and_its_reports_come_back_in_order()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var host = await WindowsHost.StartServerAsync(NewEndpoint());
        await using var client = await IpcClient.ConnectAsync(host.Endpoint, options: WindowsHost.Options(), cancellationToken: ct);
        var progress = new CollectingProgress<int>();

        Assert.Equal(50_005_000L, await client.Proxy<IStreams>().SumWithProgressAsync(TestSources.Count(10_000), progress, ct));

        await Eventually.TrueAsync(() => progress.Reports.LastOrDefault() == 10_000, "the last report (10,000 items read) came back");
        Assert.Equal(progress.Reports.Order(), progress.Reports);
    }

    [Fact(Timeout = CaseTimeout)]
    public async Task Bytes_cross_byte_for_byte_both_ways_up_to_24_MB()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var host = await WindowsHost.StartServerAsync(NewEndpoint());
        await using var client = await IpcClient.ConnectAsync(host.Endpoint, options: WindowsHost.Options(), cancellationToken: ct);
        var calc = client.Proxy<ICalculator>();
        var blobs = client.Proxy<IBlobs>();
        var data = Patterns.Bytes(1_000_003, 5);

        Assert.Equal(data, await calc.EchoBytesAsync(data));
        Assert.Equal(Patterns.Checksum(data), await blobs.ChecksumAsync("x", data));
        Assert.Equal(-1, await blobs.ChecksumAsync("null", null));
        var big = await calc.MakeBytesAsync(24 * 1024 * 1024, 12);
        Assert.True(Patterns.Bytes(24 * 1024 * 1024, 12).AsSpan().SequenceEqual(big), "the 24 MB response differs from the pattern");
        Assert.Equal(24 * 1024 * 1024 + 1, await calc.SizeOfAsync(Patterns.Bytes(24 * 1024 * 1024 + 1, 13)));
    }

    [Fact(Timeout = CaseTimeout)]
    public async Task Cancellation_reaches_the_handler_in_the_server_process()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var host = await WindowsHost.StartServerAsync(NewEndpoint());
        await using var client = await IpcClient.ConnectAsync(host.Endpoint, options: WindowsHost.Options(), cancellationToken: ct);
        var calc = client.Proxy<ICalculator>();
        var probe = Guid.NewGuid().ToString("N");
        using var cts = new CancellationTokenSource();

        var call = calc.WaitUntilCancelledAsync(probe, cts.Token);
        Assert.Equal(42, await calc.GetAnswerAsync()); // answered after the server took the first request
        cts.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call.WaitAsync(WindowsHost.Bound, ct));
        // The host's handler prints this when its token fires: the cancellation crossed to the other process.
        await host.WaitForLineAsync($"CANCELLED {probe}");
        Assert.Equal(42, await calc.GetAnswerAsync());
    }

    [Fact(Timeout = CaseTimeout)]
    public async Task Each_side_sees_the_other_process_ID()
    {
        var ct = TestContext.Current.CancellationToken;
        // A client here, the server in another process: our connection names the server's process.
        await using (var host = await WindowsHost.StartServerAsync(NewEndpoint()))
        {
            await using var client = await IpcClient.ConnectAsync(host.Endpoint, options: WindowsHost.Options(), cancellationToken: ct);
            AssertNamesProcess(client.Connection, host.Id);
        }

        // A server here, the client in another process: the server's connection names the client's process.
        await using var server = await IpcServer.StartAsync(NewEndpoint(), options: WindowsHost.Options(), cancellationToken: ct);
        await using var listener = WindowsHost.StartClient(server.Endpoint.ToString(), "listen");
        await listener.WaitForLineAsync("OK subscribed");
        await Eventually.TrueAsync(() => server.Connections.Count == 1, "the client process's connection is established");
        Assert.NotEqual(Environment.ProcessId, listener.Id);
        AssertNamesProcess(server.Connections.Single(), listener.Id);
        listener.Kill();
    }

    /// <summary>
    /// PeerName is the process ID the peer declared in its Hello (IpcOptions.ProcessName), on every transport. Over pipe://
    /// the transport also reports the ID Windows gives for the pipe's other end (GetNamedPipeClientProcessId /
    /// GetNamedPipeServerProcessId) in PeerDescription, which no peer can declare for itself.
    /// </summary>
    private void AssertNamesProcess(IpcConnection connection, int processId)
    {
        var id = processId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(id, connection.PeerName);
        if (transport == "pipe")
            Assert.Matches($@"\bprocess {id}\b", connection.PeerDescription);
    }

    [Fact(Timeout = CaseTimeout)]
    public async Task Killing_the_server_process_mid_call_fails_the_call_with_ChannelFaultedException()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var host = await WindowsHost.StartServerAsync(NewEndpoint());
        await using var client = await IpcClient.ConnectAsync(host.Endpoint, options: PeerFaultOptions(), cancellationToken: ct);
        var calc = client.Proxy<ICalculator>();
        var call = calc.DelayAsync(600_000, CancellationToken.None);
        Assert.Equal(42, await calc.GetAnswerAsync()); // the delayed call is in the server's hands

        host.Kill();

        // No deadline and no reconnect: only noticing the dead peer can end the call. The bound turns a hang into a failure.
        var failed = await Assert.ThrowsAsync<ChannelFaultedException>(() => call.WaitAsync(WindowsHost.Bound, ct));
        Assert.Equal(DisconnectReason.PeerLost, failed.Reason);
        Assert.False(client.Connection.IsConnected);
    }

    [Fact(Timeout = CaseTimeout)]
    public async Task Killing_the_server_process_mid_stream_fails_MoveNextAsync_with_ChannelFaultedException()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var host = await WindowsHost.StartServerAsync(NewEndpoint());
        await using var client = await IpcClient.ConnectAsync(host.Endpoint, options: PeerFaultOptions(), cancellationToken: ct);
        var taken = 0;
        var killed = false;
        var enumeration = Task.Run(async () =>
        {
            await foreach (var _ in client.Proxy<IStreams>().EndlessAsync(Guid.NewGuid().ToString("N"), ct))
            {
                if (++taken != 5) continue;
                host.Kill();
                killed = true;
            }
        }, ct);

        try
        {
            await enumeration.WaitAsync(WindowsHost.Bound, ct);
            Assert.Fail("The stream ended without an error after its server process was killed.");
        }
        catch (TimeoutException)
        {
            Assert.Fail($"Hung: {taken} items taken, host killed: {killed}, connected: {client.Connection.IsConnected}.");
        }
        catch (ChannelFaultedException failed)
        {
            Assert.Equal(DisconnectReason.PeerLost, failed.Reason);
        }
    }

    [Fact(Timeout = CaseTimeout)]
    public async Task A_server_process_that_stops_cleanly_fails_a_pending_call_with_ClosedByPeer()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var host = await WindowsHost.StartServerAsync(NewEndpoint());
        await using var client = await IpcClient.ConnectAsync(host.Endpoint, options: PeerFaultOptions(), cancellationToken: ct);
        var calc = client.Proxy<ICalculator>();
        var pending = calc.DelayAsync(600_000, CancellationToken.None);
        Assert.Equal(42, await calc.GetAnswerAsync());

        host.SendLine("quit"); // the host disposes its server: a Goodbye to every client

        var failed = await Assert.ThrowsAsync<ChannelFaultedException>(() => pending.WaitAsync(WindowsHost.Bound, ct));
        Assert.Equal(DisconnectReason.ClosedByPeer, failed.Reason);
    }

    [Fact(Timeout = CaseTimeout)]
    public async Task Killing_a_client_process_mid_call_cancels_the_handler_here_and_the_server_keeps_serving()
    {
        var ct = TestContext.Current.CancellationToken;
        var probe = $"killed-client-{transport}-{Guid.NewGuid():N}";
        await using var server = await IpcServer.StartAsync(NewEndpoint(), b => b.Handle<ICalculator>(new Calculator()), WindowsHost.Options(), ct);
        await using var host = WindowsHost.StartClient(server.Endpoint.ToString(), "hang:" + probe);
        await Eventually.TrueAsync(() => Calculator.StartedProbes.ContainsKey(probe), "the client process's call reached the handler");

        host.Kill();

        await Eventually.TrueAsync(() => Calculator.CancelledProbes.ContainsKey(probe), "the handler was cancelled");
        await Eventually.TrueAsync(() => server.Connections.Count == 0, "the dead client's connection is gone");
        await using var next = await IpcClient.ConnectAsync(server.Endpoint.ToString(), options: WindowsHost.Options(), cancellationToken: ct);
        Assert.Equal(42, await next.Proxy<ICalculator>().GetAnswerAsync());
    }

    private sealed class UpperCaser : IClientCallback
    {
        public Task<string> TransformAsync(string text) => Task.FromResult(text.ToUpperInvariant());
    }
}
