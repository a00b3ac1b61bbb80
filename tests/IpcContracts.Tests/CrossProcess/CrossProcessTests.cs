using IpcContracts.TestContracts;
using IpcContracts.Tests.Support;
using IpcContracts.Transports;
using IpcContracts.Transports.Pipe;

namespace IpcContracts.Tests.CrossProcess;

/// <summary>
/// Two real processes, the test process and tests/IpcContracts.TestHost, once per socket/shm transport:
/// requests, callbacks, events, 24 MB payloads and a peer killed mid-call, in both directions.
/// </summary>
public abstract class CrossProcessTests(string transport, bool nativeAotHost = false, bool dedicatedReader = false)
{
    /// <summary>The host's environment: IPC_DEDICATED_READER=1 sets <see cref="IpcOptions.DedicatedReaderThread"/> there too.</summary>
    private (string Name, string Value)[] Env => dedicatedReader ? [("IPC_DEDICATED_READER", "1")] : [];

    /// <summary>
    /// This process's options for a case, with <see cref="IpcOptions.DedicatedReaderThread"/> when the suite runs with it;
    /// otherwise the automatic default, in both processes (the host's one server takes reader threads).
    /// </summary>
    private IpcOptions? O(IpcOptions? given = null) => ReaderOptions.Apply(given, dedicatedReader ? true : null);

    /// <summary>The AOT binary when this suite runs the host as Native AOT; null runs it on the JIT.</summary>
    private async Task<string?> HostBinaryAsync()
    {
        if (!nativeAotHost) return null;
        var published = await AotHost.GetAsync();
        Assert.True(published.ExitCode == 0, "Native AOT publish of the test host failed:\n" + published.Log);
        return published.BinaryPath;
    }

    [Fact]
    public async Task Requests_a_callback_and_a_remote_exception_cross_the_process_boundary()
    {
        await using var host = await HostProcess.StartServerAsync(Endpoints.For(transport), await HostBinaryAsync(), Env);
        await using var client = await IpcClient.ConnectAsync(host.Endpoint, b => b.Handle<IClientCallback>(new Pair.UpperCaser()), O());
        var calc = client.Proxy<ICalculator>();

        Assert.Equal(42, await calc.GetAnswerAsync());
        Assert.Equal(new Totals(10, "t"), await calc.SumAsync([1, 2, 3, 4], "t", false));
        Assert.Equal("server saw 'CROSS'", await calc.CallBackAsync("cross"));
        var e = await Assert.ThrowsAsync<RemoteInvocationException>(() => calc.ThrowAsync("from the other process"));
        Assert.Equal("from the other process", e.RemoteMessage);
        Assert.Equal(host.Id.ToString(), client.Connection.PeerName);
    }

    [Fact]
    public async Task Error_codes_from_a_handler_in_another_process_reach_the_caller()
    {
        await using var host = await HostProcess.StartServerAsync(Endpoints.For(transport), await HostBinaryAsync(), Env);
        await using var client = await IpcClient.ConnectAsync(host.Endpoint, options: O());
        var errors = client.Proxy<IErrors>();

        var coded = await Assert.ThrowsAsync<RemoteInvocationException>(() => errors.FailCodedAsync("inventory.out_of_stock", "Only 3 left."));
        var domain = await Assert.ThrowsAsync<RemoteInvocationException>(() => errors.FailDomainAsync("stock.none", "None left."));
        var unexpected = await Assert.ThrowsAsync<RemoteInvocationException>(() => errors.FailUnexpectedAsync("bug"));

        Assert.Equal(("inventory.out_of_stock", "IpcContracts.IpcErrorException", "Only 3 left."), (coded.ErrorCode, coded.RemoteType, coded.RemoteMessage));
        Assert.Equal(("stock.none", typeof(OutOfStockException).FullName), (domain.ErrorCode, domain.RemoteType));
        Assert.Equal((RemoteInvocationException.UnhandledErrorCode, "System.InvalidOperationException"), (unexpected.ErrorCode, unexpected.RemoteType));
    }

    [Fact]
    public async Task The_server_tells_a_client_process_that_said_goodbye_from_one_that_exited_without_it_and_one_that_was_killed()
    {
        await using var server = await IpcServer.StartAsync(Endpoints.For(transport), b => b.Handle<ICalculator>(new Calculator()), O());
        var reasons = new System.Collections.Concurrent.ConcurrentQueue<ChannelFaultedException>();
        server.ClientDisconnected += (_, reason) => reasons.Enqueue(reason);
        async Task<DisconnectReason> NextReasonAsync(int count)
        {
            await Eventually.TrueAsync(() => reasons.Count == count, 20_000);
            return reasons.Last().Reason;
        }

        await using (var clean = HostProcess.StartClient(server.Endpoint.ToString(), "goodbye", await HostBinaryAsync(), Env))
        {
            Assert.True(await clean.WaitForExitAsync(TimeSpan.FromSeconds(60)) == 0, string.Join("\n", clean.Lines));
            Assert.Equal(DisconnectReason.ClosedByPeer, await NextReasonAsync(1));
        }
        await using (var exited = HostProcess.StartClient(server.Endpoint.ToString(), "exit-without-dispose", await HostBinaryAsync(), Env))
        {
            Assert.True(await exited.WaitForExitAsync(TimeSpan.FromSeconds(60)) == 0, string.Join("\n", exited.Lines));
            Assert.Equal(DisconnectReason.PeerLost, await NextReasonAsync(2));
        }
        await using (var killed = HostProcess.StartClient(server.Endpoint.ToString(), "listen", await HostBinaryAsync(), Env))
        {
            await killed.WaitForLineAsync("OK subscribed");
            await Eventually.TrueAsync(() => server.Connections.Count == 1, 20_000);

            killed.Kill();

            Assert.Equal(DisconnectReason.PeerLost, await NextReasonAsync(3));
        }
    }

    [Fact]
    public async Task A_client_tells_a_server_process_that_stopped_cleanly_from_one_that_was_killed()
    {
        var options = O(new IpcOptions { Reconnect = { Enabled = false } });
        await using (var stopped = await HostProcess.StartServerAsync(Endpoints.For(transport), await HostBinaryAsync(), Env))
        {
            await using var client = await IpcClient.ConnectAsync(stopped.Endpoint, options: options);
            var pending = client.Proxy<ICalculator>().DelayAsync(60_000, CancellationToken.None);
            Assert.Equal(42, await client.Proxy<ICalculator>().GetAnswerAsync());

            stopped.SendLine("quit"); // the host disposes its server: a Goodbye to every client

            var failed = await Assert.ThrowsAsync<ChannelFaultedException>(() => pending.WaitAsync(TimeSpan.FromSeconds(20)));
            Assert.Equal(DisconnectReason.ClosedByPeer, failed.Reason);
            Assert.Equal(DisconnectReason.ClosedByPeer, (await client.Connection.Completion.WaitAsync(TimeSpan.FromSeconds(20))).Reason);
        }
        await using (var killed = await HostProcess.StartServerAsync(Endpoints.For(transport), await HostBinaryAsync(), Env))
        {
            await using var client = await IpcClient.ConnectAsync(killed.Endpoint, options: options);
            var pending = client.Proxy<ICalculator>().DelayAsync(60_000, CancellationToken.None);
            Assert.Equal(42, await client.Proxy<ICalculator>().GetAnswerAsync());

            killed.Kill();

            var failed = await Assert.ThrowsAsync<ChannelFaultedException>(() => pending.WaitAsync(TimeSpan.FromSeconds(20)));
            Assert.Equal(DisconnectReason.PeerLost, failed.Reason);
            Assert.Equal(DisconnectReason.PeerLost, (await client.Connection.Completion.WaitAsync(TimeSpan.FromSeconds(20))).Reason);
        }
    }

    [Fact]
    public async Task Events_from_a_server_process_arrive_in_order()
    {
        await using var host = await HostProcess.StartServerAsync(Endpoints.For(transport), await HostBinaryAsync(), Env);
        await using var client = await IpcClient.ConnectAsync(host.Endpoint, options: O());
        var collector = new TickCollector(1000);
        using var sub = client.Subscribe<ITicks>(collector);

        await client.Proxy<ICalculator>().PublishTicksAsync("host", 1000);

        await collector.Done.Task.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(Enumerable.Range(1, 1000), collector.Sequences);
    }

    [Fact]
    public async Task A_24_MB_request_and_a_24_MB_response_cross_byte_for_byte()
    {
        await using var host = await HostProcess.StartServerAsync(Endpoints.For(transport), await HostBinaryAsync(), Env);
        await using var client = await IpcClient.ConnectAsync(host.Endpoint, options: O());
        var calc = client.Proxy<ICalculator>();
        var request = Patterns.Bytes(24 * 1024 * 1024, 11);

        Assert.Equal(request.Length, await calc.SizeOfAsync(request));
        var response = await calc.MakeBytesAsync(24 * 1024 * 1024, 12);

        Assert.True(Patterns.Bytes(24 * 1024 * 1024, 12).AsSpan().SequenceEqual(response));
    }

    [Fact]
    public async Task A_stream_crosses_the_process_boundary_in_order_and_breaking_out_cancels_the_producer_there()
    {
        await using var host = await HostProcess.StartServerAsync(Endpoints.For(transport), await HostBinaryAsync(), Env);
        await using var client = await IpcClient.ConnectAsync(host.Endpoint, options: O());
        var streams = client.Proxy<IStreams>();

        var items = new List<int>();
        await foreach (var i in streams.RangeAsync(1, 10_000)) items.Add(i);
        Assert.Equal(Enumerable.Range(1, 10_000), items);

        string probe = Guid.NewGuid().ToString("N");
        int taken = 0;
        await foreach (var i in streams.EndlessAsync(probe))
        {
            if (++taken == 10) break;
        }
        await Eventually.TrueAsync(() => streams.ProbeAsync(probe).Result is { Cancelled: true, Disposed: true });

        var e = await Assert.ThrowsAsync<RemoteInvocationException>(async () => { await foreach (var i in streams.FailAfterAsync(2, "far away")) { } });
        Assert.Equal("far away", e.RemoteMessage);
    }

    [Fact]
    public async Task Bytes_cross_the_process_boundary_as_arguments_results_and_Streams_both_ways()
    {
        await using var host = await HostProcess.StartServerAsync(Endpoints.For(transport), await HostBinaryAsync(), Env);
        await using var client = await IpcClient.ConnectAsync(host.Endpoint, options: O());
        var blobs = client.Proxy<IBlobs>();

        var data = Patterns.Bytes(1_000_003, 5);
        Assert.Equal(Patterns.Checksum(data), await blobs.ChecksumAsync("x", data));
        Assert.Equal(data, (await blobs.EchoMemoryAsync(data)).ToArray());

        const long Length = 3 * 1024 * 1024 + 17;
        await using (var download = await blobs.DownloadAsync(Guid.NewGuid().ToString("N"), Length))
        {
            var copy = new MemoryStream();
            await download.CopyToAsync(copy);
            Assert.Equal(Patterns.PatternChecksum(Length), Patterns.Checksum(copy.ToArray()));
        }
        using var upload = new MemoryStream(data);
        Assert.Equal(Patterns.Checksum(data), await blobs.UploadAsync("up", 0, upload));
    }

    [Fact]
    public async Task Progress_reports_from_a_handler_in_another_process_arrive_in_order()
    {
        await using var host = await HostProcess.StartServerAsync(Endpoints.For(transport), await HostBinaryAsync(), Env);
        await using var client = await IpcClient.ConnectAsync(host.Endpoint, options: O());
        var progress = new CollectingProgress<int>();

        Assert.Equal(500, await client.Proxy<IJobs>().CountToAsync(500, progress));

        await Eventually.TrueAsync(() => progress.Reports.Count == 500);
        Assert.Equal(Enumerable.Range(1, 500), progress.Reports);
    }

    [Fact]
    public async Task A_handler_in_another_process_reports_progress_while_it_reads_an_argument_stream_and_a_Stream()
    {
        await using var host = await HostProcess.StartServerAsync(Endpoints.For(transport), await HostBinaryAsync(), Env);
        await using var client = await IpcClient.ConnectAsync(host.Endpoint, options: O());

        var items = new ProgressGate<int>(openAt: 100);
        Assert.Equal(50_005_000L, await client.Proxy<IStreams>().SumWithProgressAsync(items.Numbers(10_000, holdAfter: 300), items));
        await Eventually.TrueAsync(() => items.Reports.LastOrDefault() == 10_000);
        Assert.Equal(items.Reports.Order(), items.Reports);

        var data = Patterns.Bytes(2 * 1024 * 1024 + 3, 9);
        var bytes = new ProgressGate<long>(openAt: 256 * 1024);
        Assert.Equal(Patterns.Checksum(data), await client.Proxy<IBlobs>().UploadWithProgressAsync(bytes.Bytes(data, holdAt: 1024 * 1024), bytes));
        await Eventually.TrueAsync(() => bytes.Reports.LastOrDefault() == data.Length);
        Assert.Equal(bytes.Reports.Order(), bytes.Reports);
    }

    [Fact]
    public async Task An_argument_stream_reaches_a_handler_in_another_process_and_both_ways_come_back_in_order()
    {
        await using var host = await HostProcess.StartServerAsync(Endpoints.For(transport), await HostBinaryAsync(), Env);
        await using var client = await IpcClient.ConnectAsync(host.Endpoint, options: O());
        var streams = client.Proxy<IStreams>();

        Assert.Equal(50_005_000L, await streams.SumAsync(TestSources.Count(10_000)));
        var doubled = new List<int>();
        await foreach (var n in streams.DoubleAsync(TestSources.Count(1_000))) doubled.Add(n);
        Assert.Equal(Enumerable.Range(1, 1_000).Select(n => 2 * n), doubled);
    }

    [Fact]
    public async Task Killing_the_server_process_mid_stream_fails_MoveNextAsync_with_ChannelFaultedException()
    {
        await using var host = await HostProcess.StartServerAsync(Endpoints.For(transport), await HostBinaryAsync(), Env);
        await using var client = await IpcClient.ConnectAsync(host.Endpoint, options: O());
        int taken = 0;

        // The 20 s bound only turns a hang into a failure.
        await Assert.ThrowsAsync<ChannelFaultedException>(async () =>
        {
            await foreach (var i in client.Proxy<IStreams>().EndlessAsync(Guid.NewGuid().ToString("N")))
            {
                if (++taken == 5) host.Kill();
            }
        }).WaitAsync(TimeSpan.FromSeconds(20));
    }

    [Fact]
    public async Task Killing_the_server_process_mid_call_fails_the_call_with_ChannelFaultedException()
    {
        await using var host = await HostProcess.StartServerAsync(Endpoints.For(transport), await HostBinaryAsync(), Env);
        await using var client = await IpcClient.ConnectAsync(host.Endpoint, options: O());
        var call = client.Proxy<ICalculator>().DelayAsync(60_000, CancellationToken.None);
        await Task.Delay(100);
        var killedAt = Environment.TickCount64;

        host.Kill();

        // The 10 s bound only turns a hang into a failure. The elapsed check is loose on purpose: it catches
        // detection by the 30 s call timeout instead of by the peer's death, not scheduling noise.
        await Assert.ThrowsAsync<ChannelFaultedException>(() => call.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.True(Environment.TickCount64 - killedAt < 5_000, "the fault was detected by a timeout, not by the peer's death");
        Assert.False(client.Connection.IsConnected);
    }

    [Fact]
    public async Task Killing_the_server_process_mid_event_stream_ends_the_stream_and_the_client_reconnects_to_a_new_server()
    {
        var host = await HostProcess.StartServerAsync(Endpoints.For(transport), await HostBinaryAsync(), Env);
        var bound = host.Endpoint; // tcp: the restarted server binds the same port
        await using var client = await IpcClient.ConnectAsync(bound, options: O(new IpcOptions { Reconnect = { MaxDelay = TimeSpan.FromMilliseconds(200) } }));
        var collector = new TickCollector(int.MaxValue);
        using var sub = client.Subscribe<ITicks>(collector);
        var stream = client.Proxy<ICalculator>().PublishTicksAsync("endless", 5_000_000);
        await Eventually.TrueAsync(() => collector.Count > 1000, 30_000);
        var first = client.Connection;

        host.Kill();

        await Assert.ThrowsAsync<ChannelFaultedException>(() => stream.WaitAsync(TimeSpan.FromSeconds(10)));
        await first.Completion.WaitAsync(TimeSpan.FromSeconds(10));
        var received = collector.Sequences.ToArray();
        Assert.Equal(Enumerable.Range(1, received.Length), received); // what arrived is an unbroken prefix, in order
        await host.DisposeAsync();
        await using var restarted = await HostProcess.StartServerAsync(bound, await HostBinaryAsync(), Env);
        await Eventually.TrueAsync(() => client.Reconnects >= 1, 30_000);
        Assert.Equal(42, await client.Proxy<ICalculator>().GetAnswerAsync());
    }

    [Fact]
    public async Task Killing_the_server_process_mid_24_MB_response_fails_the_call_with_ChannelFaultedException()
    {
        await using var host = await HostProcess.StartServerAsync(Endpoints.For(transport), await HostBinaryAsync(), Env);
        await using var client = await IpcClient.ConnectAsync(host.Endpoint, options: O(new IpcOptions { Reconnect = { Enabled = false } }));
        var calc = client.Proxy<ICalculator>();
        var calls = Enumerable.Range(0, 4).Select(i => calc.MakeBytesAsync(24 * 1024 * 1024, i)).ToArray(); // ~100 MB in flight
        await Task.Delay(50);

        host.Kill();

        foreach (var call in calls)
        {
            // Calls answered before the kill may succeed; none may hang or fail any other way.
            try { await call.WaitAsync(TimeSpan.FromSeconds(20)); }
            catch (ChannelFaultedException) { }
        }
        Assert.False(client.Connection.IsConnected);
    }

    [Fact]
    public async Task Killing_a_client_process_mid_event_stream_drops_only_that_subscriber()
    {
        await using var server = await IpcServer.StartAsync(Endpoints.For(transport), options: O());
        await using var host = HostProcess.StartClient(server.Endpoint.ToString(), "listen", await HostBinaryAsync(), Env);
        await using var local = await IpcClient.ConnectAsync(server.Endpoint.ToString(), options: O());
        var collector = new TickCollector(int.MaxValue);
        using var sub = local.Subscribe<ITicks>(collector);
        await Eventually.TrueAsync(() => server.Connections.Count(c => c.PeerSubscribed(new(false, ContractIds.Ticks))) == 2, 30_000);
        var publisher = server.Publisher<ITicks>();
        var sequence = 0;
        while (!host.Lines.Contains("OK receiving events"))
        {
            publisher.Tick(new Tick(++sequence, "stream"));
            if (sequence % 50 == 0) await Eventually.TrueAsync(() => collector.Count >= sequence);
        }

        host.Kill();
        for (var i = 0; i < 2000; i++)
        {
            publisher.Tick(new Tick(++sequence, "stream")); // never throws, never blocks on the dead peer
            if (sequence % 50 == 0) await Eventually.TrueAsync(() => collector.Count >= sequence);
        }

        await Eventually.TrueAsync(() => collector.Count == sequence);
        Assert.Equal(Enumerable.Range(1, sequence), collector.Sequences);
        await Eventually.TrueAsync(() => server.Connections.Count == 1, 20_000);
    }

    [Fact]
    public async Task Killing_the_client_process_mid_24_MB_request_leaves_the_server_serving()
    {
        await using var server = await IpcServer.StartAsync(Endpoints.For(transport), b => b.Handle<ICalculator>(new Calculator()), O());
        await using var host = HostProcess.StartClient(server.Endpoint.ToString(), "bigloop", await HostBinaryAsync(), Env);
        await host.WaitForLineAsync("OK first big request done");

        host.Kill(); // most likely in the middle of the next 24 MB frame

        await Eventually.TrueAsync(() => server.Connections.Count == 0, 20_000);
        await using var next = await IpcClient.ConnectAsync(server.Endpoint.ToString(), options: O());
        Assert.Equal(42, await next.Proxy<ICalculator>().GetAnswerAsync());
        Assert.Equal(1024, await next.Proxy<ICalculator>().SizeOfAsync(new byte[1024]));
    }

    [Fact]
    public async Task A_client_process_talks_to_a_server_in_this_process_and_is_called_back()
    {
        IpcServer? server = null;
        server = await IpcServer.StartAsync(Endpoints.For(transport), b => b.Handle<ICalculator>(new Calculator(() => server!.Publisher<ITicks>())), O());
        await using var _ = server;

        foreach (var scenario in new[] { "basic", "events", "big" })
        {
            await using var host = HostProcess.StartClient(server.Endpoint.ToString(), scenario, await HostBinaryAsync(), Env);
            var exit = await host.WaitForExitAsync(TimeSpan.FromSeconds(60));
            Assert.True(exit == 0, $"{scenario}: {string.Join("\n", host.Lines)}");
            if (scenario == "basic")
            {
                Assert.Contains("OK callback server saw 'HELLO'", host.Lines);
                Assert.Contains("OK remote System.InvalidOperationException boom", host.Lines);
            }
        }
    }

    [Fact]
    public async Task Killing_the_client_process_mid_call_cancels_the_servers_handler_and_the_server_keeps_serving()
    {
        var probe = $"killed-client-{transport}-{nativeAotHost}";
        await using var server = await IpcServer.StartAsync(Endpoints.For(transport), b => b.Handle<ICalculator>(new Calculator()), O());
        await using var host = HostProcess.StartClient(server.Endpoint.ToString(), "hang:" + probe, await HostBinaryAsync(), Env);
        await Eventually.TrueAsync(() => Calculator.StartedProbes.ContainsKey(probe), 30_000);

        host.Kill();

        await Eventually.TrueAsync(() => Calculator.CancelledProbes.ContainsKey(probe));
        await Eventually.TrueAsync(() => server.Connections.Count == 0);
        await using var next = await IpcClient.ConnectAsync(server.Endpoint.ToString(), options: O());
        Assert.Equal(42, await next.Proxy<ICalculator>().GetAnswerAsync());
    }
}

public sealed class PipeCrossProcess() : CrossProcessTests("pipe")
{
    [Fact]
    public async Task Disposing_the_server_removes_its_socket_file_and_a_stale_file_is_replaced()
    {
        var endpoint = Endpoints.Pipe();
        var path = UnixSocketPipes.GetSocketPath(IpcEndpoint.Parse(endpoint));
        File.WriteAllText(path, "stale"); // left behind by a killed server

        var server = await IpcServer.StartAsync(endpoint);
        Assert.True(File.Exists(path));
        await server.DisposeAsync();

        Assert.False(File.Exists(path));
    }
}

public sealed class TcpCrossProcess() : CrossProcessTests("tcp");

/// <summary>pipe:// with <see cref="IpcOptions.DedicatedReaderThread"/> in both processes (the AOT host runs tcp:// with it).</summary>
public sealed class PipeDedicatedReaderCrossProcess() : CrossProcessTests("pipe", dedicatedReader: true);

public sealed class ShmCrossProcess() : CrossProcessTests("shm")
{
    [Fact]
    public async Task Segment_files_orphaned_by_a_killed_process_are_removed_at_the_next_start()
    {
        var dir = IpcContracts.Transports.SharedMemory.LinuxShm.SegmentDirectory;
        var orphan = Path.Combine(dir, $"ipccontracts-{Environment.UserName}-{int.MaxValue - 7}-1-{Guid.NewGuid():N}");
        File.WriteAllBytes(orphan, new byte[4096]); // a pid that cannot be running

        await using var server = await IpcServer.StartAsync(Endpoints.For("shm"));

        Assert.False(File.Exists(orphan));
    }
}
