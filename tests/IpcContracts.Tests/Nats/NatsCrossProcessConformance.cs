using IpcContracts.Nats;
using IpcContracts.TestContracts;
using IpcContracts.Tests.Support;

namespace IpcContracts.Tests.Nats;

/// <summary>
/// The cross-process conformance cases (CrossProcess/CrossProcessTests) that apply over a broker, on nats:// with the
/// test host on the JIT and as Native AOT. Where the broker changes what a case can show, the case says what it shows
/// instead; the cases that do not apply are listed with the reason in docs/semantics.md ("Over a broker").
/// </summary>
public abstract class NatsCrossProcessConformance(bool nativeAotHost)
{
    private async Task<string?> HostBinaryAsync()
    {
        if (!nativeAotHost) return null;
        var published = await AotHost.GetAsync();
        Assert.True(published.ExitCode == 0, "Native AOT publish of the test host failed:\n" + published.Log);
        return published.BinaryPath;
    }

    [NatsFact]
    public async Task Requests_a_callback_and_a_remote_exception_cross_the_process_boundary()
    {
        var endpoint = NatsBroker.NewEndpoint();
        await using var host = await HostProcess.StartServerAsync(endpoint, await HostBinaryAsync());
        await using var client = await IpcClient.ConnectAsync(endpoint, b => b.Handle<IClientCallback>(new Pair.UpperCaser()));
        var calc = client.Proxy<ICalculator>();

        Assert.Equal(42, await calc.GetAnswerAsync());
        Assert.Equal(new Totals(10, "t"), await calc.SumAsync([1, 2, 3, 4], "t", false));
        Assert.Equal("server saw 'CROSS'", await calc.CallBackAsync("cross"));
        var e = await Assert.ThrowsAsync<RemoteInvocationException>(() => calc.ThrowAsync("from the other process"));
        Assert.Equal("from the other process", e.RemoteMessage);
        Assert.StartsWith("NATS broker", client.Connection.PeerName, StringComparison.Ordinal); // the peer is the broker
    }

    [NatsFact]
    public async Task Error_codes_from_a_handler_in_another_process_reach_the_caller_through_the_broker()
    {
        var endpoint = NatsBroker.NewEndpoint();
        await using var host = await HostProcess.StartServerAsync(endpoint, await HostBinaryAsync());
        await using var client = await IpcClient.ConnectAsync(endpoint);
        var errors = client.Proxy<IErrors>();

        var coded = await Assert.ThrowsAsync<RemoteInvocationException>(() => errors.FailCodedAsync("inventory.out_of_stock", "Only 3 left."));
        var domain = await Assert.ThrowsAsync<RemoteInvocationException>(() => errors.FailDomainAsync("stock.none", "None left."));
        var unexpected = await Assert.ThrowsAsync<RemoteInvocationException>(() => errors.FailUnexpectedAsync("bug"));

        Assert.Equal(("inventory.out_of_stock", "IpcContracts.IpcErrorException", "Only 3 left."), (coded.ErrorCode, coded.RemoteType, coded.RemoteMessage));
        Assert.Equal(("stock.none", typeof(OutOfStockException).FullName), (domain.ErrorCode, domain.RemoteType));
        Assert.Equal((RemoteInvocationException.UnhandledErrorCode, "System.InvalidOperationException"), (unexpected.ErrorCode, unexpected.RemoteType));
    }

    /// <summary>
    /// Over a broker the peer of every connection is the broker: a server has no connection per client, so a client process
    /// going away (cleanly or killed) raises no ClientDisconnected there. What a process does see is its own broker
    /// connection ending: ClosedLocally when it disposes its client.
    /// </summary>
    [NatsFact]
    public async Task A_client_process_going_away_is_not_a_disconnect_at_the_server_and_a_disposed_client_ends_ClosedLocally()
    {
        var endpoint = NatsBroker.NewEndpoint();
        NatsTransport.Register();
        await using var server = await IpcServer.StartAsync(endpoint, b => b.Handle<ICalculator>(new Calculator()));
        var reasons = new System.Collections.Concurrent.ConcurrentQueue<ChannelFaultedException>();
        server.ClientDisconnected += (_, reason) => reasons.Enqueue(reason);
        await using (var clean = HostProcess.StartClient(endpoint, "goodbye", await HostBinaryAsync()))
            Assert.True(await clean.WaitForExitAsync(TimeSpan.FromSeconds(60)) == 0, string.Join("\n", clean.Lines));
        var client = await IpcClient.ConnectAsync(endpoint);
        var connection = client.Connection;
        Assert.Equal(42, await client.Proxy<ICalculator>().GetAnswerAsync()); // served after the other process left

        await client.DisposeAsync();

        Assert.Equal(DisconnectReason.ClosedLocally, (await connection.Completion.WaitAsync(TimeSpan.FromSeconds(20))).Reason);
        Assert.Empty(reasons);
    }

    [NatsFact]
    public async Task A_handlers_callback_reaches_its_own_caller_when_several_processes_handle_the_callback_contract()
    {
        var endpoint = NatsBroker.NewEndpoint();
        await using var host = await HostProcess.StartServerAsync(endpoint, await HostBinaryAsync());
        await using var upper = await IpcClient.ConnectAsync(endpoint, b => b.Handle<IClientCallback>(new Pair.UpperCaser()));
        await using var reverse = await IpcClient.ConnectAsync(endpoint, b => b.Handle<IClientCallback>(new Reverser()));

        // Both serve test.callback: a callback sent to "whoever serves it" would reach the wrong one about half the time.
        var calls = Enumerable.Range(0, 100).Select(i => i % 2 == 0
            ? upper.Proxy<ICalculator>().CallBackAsync($"up{i}").ContinueWith(t => (Expected: $"server saw 'UP{i}'", Actual: t.Result))
            : reverse.Proxy<ICalculator>().CallBackAsync($"ab{i}").ContinueWith(t => (Expected: $"server saw '{new string($"ab{i}".Reverse().ToArray())}'", Actual: t.Result)));
        foreach (var (expected, actual) in await Task.WhenAll(calls).WaitAsync(TimeSpan.FromSeconds(60)))
            Assert.Equal(expected, actual);
    }

    [NatsFact]
    public async Task Events_from_a_server_process_arrive_in_order()
    {
        var endpoint = NatsBroker.NewEndpoint();
        await using var host = await HostProcess.StartServerAsync(endpoint, await HostBinaryAsync());
        await using var client = await IpcClient.ConnectAsync(endpoint);
        var collector = new TickCollector(1000);
        using var sub = client.Subscribe<ITicks>(collector);

        await client.Proxy<ICalculator>().PublishTicksAsync("host", 1000); // routed after the Subscribe: the broker has it

        await collector.Done.Task.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(Enumerable.Range(1, 1000), collector.Sequences);
    }

    [NatsFact]
    public async Task Payloads_cross_byte_for_byte_a_request_over_the_brokers_max_payload_fails_that_call_only_and_a_24_MiB_reply_crosses_in_parts()
    {
        // The broker's max_payload (1 MiB by default) bounds a request: a 24 MB request fails; a reply goes in parts.
        var endpoint = NatsBroker.NewEndpoint();
        await using var host = await HostProcess.StartServerAsync(endpoint, await HostBinaryAsync());
        await using var client = await IpcClient.ConnectAsync(endpoint);
        var calc = client.Proxy<ICalculator>();
        var request = Patterns.Bytes(600_000, 11); // base64 in JSON: about 800 KB on the wire

        Assert.Equal(request.Length, await calc.SizeOfAsync(request));
        var response = await calc.MakeBytesAsync(600_000, 12);
        Assert.True(Patterns.Bytes(600_000, 12).AsSpan().SequenceEqual(response));
        var tooBig = await Assert.ThrowsAnyAsync<IpcException>(() => calc.SizeOfAsync(Patterns.Bytes(24 * 1024 * 1024, 1)));
        Assert.Contains("max_payload", tooBig.Message, StringComparison.Ordinal);
        var large = await calc.MakeBytesAsync(24 * 1024 * 1024, 2);
        Assert.True(Patterns.Bytes(24 * 1024 * 1024, 2).AsSpan().SequenceEqual(large), "24 MiB, put together from 24 parts");
        Assert.Equal(42, await calc.GetAnswerAsync());
    }

    [NatsFact]
    public async Task Killing_the_server_process_mid_call_fails_the_call_at_its_deadline_and_another_server_process_takes_over()
    {
        // Over a broker the caller's connection (to the broker) does not break when the serving process dies: the call
        // ends with a TimeoutException at its deadline, never a hang, and the next process that serves the contract serves it.
        var endpoint = NatsBroker.NewEndpoint();
        await using var host = await HostProcess.StartServerAsync(endpoint, await HostBinaryAsync());
        await using var client = await IpcClient.ConnectAsync(endpoint, options: new IpcOptions { DefaultCallTimeout = TimeSpan.FromSeconds(3) });
        var call = client.Proxy<ICalculator>().DelayAsync(60_000, CancellationToken.None);
        Assert.Equal(42, await client.Proxy<ICalculator>().GetAnswerAsync()); // the slow call is in the handler by now

        host.Kill();

        await Assert.ThrowsAsync<TimeoutException>(() => call.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.True(client.Connection.IsConnected);
        await using var next = await HostProcess.StartServerAsync(endpoint, await HostBinaryAsync());
        Assert.Equal(42, await client.Proxy<ICalculator>().GetAnswerAsync());
        Assert.Equal(0, client.Reconnects);
    }

    [NatsFact]
    public async Task Killing_the_server_process_mid_event_stream_leaves_an_unbroken_prefix_and_a_new_server_process_serves_the_same_client()
    {
        var endpoint = NatsBroker.NewEndpoint();
        await using var host = await HostProcess.StartServerAsync(endpoint, await HostBinaryAsync());
        await using var client = await IpcClient.ConnectAsync(endpoint, options: new IpcOptions { DefaultCallTimeout = TimeSpan.FromSeconds(3) });
        var collector = new TickCollector(int.MaxValue);
        using var sub = client.Subscribe<ITicks>(collector);
        var stream = client.Proxy<ICalculator>().PublishTicksAsync("endless", 5_000_000);
        await Eventually.TrueAsync(() => collector.Count > 1000, 30_000);

        host.Kill();

        await Assert.ThrowsAsync<TimeoutException>(() => stream.WaitAsync(TimeSpan.FromSeconds(30)));
        var received = collector.Sequences.ToArray();
        Assert.Equal(Enumerable.Range(1, received.Length), received); // what arrived is an unbroken prefix, in order
        await using var restarted = await HostProcess.StartServerAsync(endpoint, await HostBinaryAsync());
        Assert.Equal(42, await client.Proxy<ICalculator>().GetAnswerAsync());
    }

    [NatsFact]
    public async Task Killing_a_client_process_mid_event_stream_drops_only_that_subscriber()
    {
        var endpoint = NatsBroker.NewEndpoint();
        await using var server = await IpcServer.StartAsync(endpoint);
        await using var host = HostProcess.StartClient(endpoint, "listen", await HostBinaryAsync());
        await using var local = await IpcClient.ConnectAsync(endpoint);
        var collector = new TickCollector(int.MaxValue);
        using var sub = local.Subscribe<ITicks>(collector);
        await local.Connection.PingAsync(); // the broker has the local subscription
        await host.WaitForLineAsync("OK subscribed");
        var publisher = server.Publisher<ITicks>();
        var sequence = 0;
        while (!host.Lines.Contains("OK receiving events"))
        {
            publisher.Tick(new Tick(++sequence, "stream"));
            if (sequence % 50 == 0) await Eventually.TrueAsync(() => collector.Count >= sequence, 30_000);
        }

        host.Kill();
        for (var i = 0; i < 2000; i++)
        {
            publisher.Tick(new Tick(++sequence, "stream")); // never throws, never blocks on the dead subscriber
            if (sequence % 50 == 0) await Eventually.TrueAsync(() => collector.Count >= sequence, 30_000);
        }

        await Eventually.TrueAsync(() => collector.Count == sequence, 30_000);
        Assert.Equal(Enumerable.Range(1, sequence), collector.Sequences);
    }

    [NatsFact]
    public async Task A_client_process_talks_to_a_server_in_this_process_and_is_called_back()
    {
        var endpoint = NatsBroker.NewEndpoint();
        IpcServer? server = null;
        server = await IpcServer.StartAsync(endpoint, b => b.Handle<ICalculator>(new Calculator(() => server!.Publisher<ITicks>())));
        await using var _ = server;

        foreach (var scenario in new[] { "basic", "events" })
        {
            await using var host = HostProcess.StartClient(endpoint, scenario, await HostBinaryAsync());
            var exit = await host.WaitForExitAsync(TimeSpan.FromSeconds(60));
            Assert.True(exit == 0, $"{scenario}: {string.Join("\n", host.Lines)}");
            if (scenario == "basic")
            {
                Assert.Contains("OK callback server saw 'HELLO'", host.Lines);
                Assert.Contains("OK remote System.InvalidOperationException boom", host.Lines);
            }
        }
    }

    [NatsFact]
    public async Task A_stream_result_crosses_the_broker_in_order_under_credit_and_a_producer_failure_ends_it()
    {
        var endpoint = NatsBroker.NewEndpoint();
        await using var host = await HostProcess.StartServerAsync(endpoint, await HostBinaryAsync());
        await using var client = await IpcClient.ConnectAsync(endpoint, options: new IpcOptions { DefaultCallTimeout = TimeSpan.FromSeconds(60) });
        var streams = client.Proxy<IStreams>();

        var items = new List<int>();
        await foreach (var i in streams.RangeAsync(1, 5000)) items.Add(i);
        Assert.Equal(Enumerable.Range(1, 5000), items);

        // 8 MiB in 64 KiB items: eight times the default credit window, so the producer waits for StreamCredit through the broker.
        var chunks = 0;
        await foreach (var chunk in streams.ChunksAsync($"nats-{Guid.NewGuid():N}", 128, 64 * 1024)) chunks++;
        Assert.Equal(128, chunks);

        var seen = new List<int>();
        var e = await Assert.ThrowsAsync<RemoteInvocationException>(async () =>
        {
            await foreach (var i in streams.FailAfterAsync(3, "producer broke")) seen.Add(i);
        });
        Assert.Equal("producer broke", e.RemoteMessage);
        Assert.Equal(3, seen.Count);
    }

    [NatsFact]
    public async Task Progress_reports_cross_the_broker_in_order_before_the_reply_and_a_report_before_a_failure_arrives()
    {
        var endpoint = NatsBroker.NewEndpoint();
        await using var host = await HostProcess.StartServerAsync(endpoint, await HostBinaryAsync());
        await using var client = await IpcClient.ConnectAsync(endpoint, options: new IpcOptions { DefaultCallTimeout = Timeout.InfiniteTimeSpan });
        var jobs = client.Proxy<IJobs>();

        // Progress frames (kind 14) go to the caller's reply subject like stream items, leaving the call open for its reply.
        var counted = new Reports<int>();
        Assert.Equal(500, await jobs.CountToAsync(500, counted).WaitAsync(TimeSpan.FromSeconds(30)));
        await Eventually.TrueAsync(() => counted.Values.Count == 500); // reports run off the reader thread
        Assert.Equal(Enumerable.Range(1, 500), counted.Values);

        var started = new Reports<string>();
        var e = await Assert.ThrowsAsync<RemoteInvocationException>(() => jobs.FailAfterReportAsync("gave up", started).WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal("gave up", e.RemoteMessage);
        await Eventually.TrueAsync(() => started.Values.Count == 1);
        Assert.Equal("started", started.Values.Single());
    }

    /// <summary>
    /// Argument streams (docs/protocol.md 7.9, section 9): the caller's items go to the one process that took the Request
    /// (its P.up.J subject, named by the reply-to of its first credit), not to the queue group.
    /// </summary>
    [NatsFact]
    public async Task An_argument_stream_reaches_a_handler_in_another_process_through_the_broker_and_both_ways_come_back_in_order()
    {
        var endpoint = NatsBroker.NewEndpoint();
        await using var host = await HostProcess.StartServerAsync(endpoint, await HostBinaryAsync());
        await using var client = await IpcClient.ConnectAsync(endpoint);
        var streams = client.Proxy<IStreams>();

        Assert.Equal(50_005_000L, await streams.SumAsync(new Numbers().Count(10_000)).WaitAsync(TimeSpan.FromSeconds(60)));
        Assert.Equal(0L, await streams.SumAsync(new Numbers().Count(0)).WaitAsync(TimeSpan.FromSeconds(30))); // StreamEnd before any credit
        var doubled = new List<int>();
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(60)); // turns a hang into a failure
        await foreach (var n in streams.DoubleAsync(new Numbers().Count(1_000), bound.Token))
            doubled.Add(n);
        Assert.Equal(Enumerable.Range(1, 1_000).Select(n => 2 * n), doubled);
    }

    /// <summary>
    /// An argument stream and a Stream argument with progress next to them, through the broker: the reports come back
    /// while the handler in the other process reads (each caller source holds until a first report has arrived), in
    /// order, ending with the total.
    /// </summary>
    [NatsFact]
    public async Task A_handler_in_another_process_reports_progress_through_the_broker_while_it_reads_an_argument_stream()
    {
        var endpoint = NatsBroker.NewEndpoint();
        await using var host = await HostProcess.StartServerAsync(endpoint, await HostBinaryAsync());
        await using var client = await IpcClient.ConnectAsync(endpoint);

        var items = new ProgressGate<int>(openAt: 100);
        Assert.Equal(50_005_000L, await client.Proxy<IStreams>().SumWithProgressAsync(items.Numbers(10_000, holdAfter: 300), items)
            .WaitAsync(TimeSpan.FromSeconds(60)));
        await Eventually.TrueAsync(() => items.Reports.LastOrDefault() == 10_000);
        Assert.Equal(items.Reports.Order(), items.Reports);

        var data = Patterns.Bytes(2 * 1024 * 1024 + 3, 9);
        var bytes = new ProgressGate<long>(openAt: 64 * 1024);
        Assert.Equal(Patterns.Checksum(data), await client.Proxy<IBlobs>().UploadWithProgressAsync(bytes.Bytes(data, holdAt: 512 * 1024), bytes)
            .WaitAsync(TimeSpan.FromSeconds(60)));
        await Eventually.TrueAsync(() => bytes.Reports.LastOrDefault() == data.Length);
        Assert.Equal(bytes.Reports.Order(), bytes.Reports);
    }

    [NatsFact]
    public async Task A_handler_in_another_process_that_stops_reading_an_argument_stream_stops_the_callers_enumeration()
    {
        var endpoint = NatsBroker.NewEndpoint();
        await using var host = await HostProcess.StartServerAsync(endpoint, await HostBinaryAsync());
        await using var client = await IpcClient.ConnectAsync(endpoint);
        var source = new Numbers();

        Assert.Equal(5, await client.Proxy<IStreams>().TakeAsync(5, source.Count(int.MaxValue)).WaitAsync(TimeSpan.FromSeconds(30)));

        // Cancel + Upstream reached the caller: its enumerator is disposed rather than producing into the void.
        await Eventually.TrueAsync(() => source.Disposed);
    }

    [NatsFact]
    public async Task A_Stream_argument_reaches_a_handler_in_another_process_through_the_broker_byte_for_byte()
    {
        var endpoint = NatsBroker.NewEndpoint();
        await using var host = await HostProcess.StartServerAsync(endpoint, await HostBinaryAsync());
        await using var client = await IpcClient.ConnectAsync(endpoint);
        var blobs = client.Proxy<IBlobs>();

        var data = Patterns.Bytes(3 * 1024 * 1024 + 17, 9); // several credit windows of 64 KiB chunks
        using (var upload = new MemoryStream(data))
            Assert.Equal(Patterns.Checksum(data), await blobs.UploadAsync("nats", 0, upload).WaitAsync(TimeSpan.FromSeconds(60)));
        using (var empty = new MemoryStream())
            Assert.Equal(Patterns.Checksum([]), await blobs.UploadAsync("empty", 0, empty).WaitAsync(TimeSpan.FromSeconds(30)));
    }

    [NatsFact]
    public async Task An_argument_stream_item_over_the_brokers_max_payload_fails_that_call_only()
    {
        var endpoint = NatsBroker.NewEndpoint();
        await using var host = await HostProcess.StartServerAsync(endpoint, await HostBinaryAsync());
        await using var client = await IpcClient.ConnectAsync(endpoint);
        var streams = client.Proxy<IStreams>();

        // The second chunk is 2 MiB of bytes (base64 in JSON), over the broker's max_payload (1 MiB by default).
        var tooBig = await Assert.ThrowsAsync<IpcProtocolException>(() => streams.UploadAsync("nats-too-big", 0, Chunks(100, 2 * 1024 * 1024)).WaitAsync(TimeSpan.FromSeconds(30)));

        Assert.Contains("max_payload", tooBig.Message, StringComparison.Ordinal);
        Assert.Equal(6L, await streams.SumAsync(new Numbers().Count(3)).WaitAsync(TimeSpan.FromSeconds(30))); // the connection goes on

        static async IAsyncEnumerable<Chunk> Chunks(params int[] sizes)
        {
            for (int i = 0; i < sizes.Length; i++)
            {
                await Task.Yield();
                yield return new Chunk(i, new byte[sizes[i]]);
            }
        }
    }

    [NatsFact]
    public async Task The_callers_argument_stream_failing_fails_the_handlers_enumeration_in_another_process()
    {
        var endpoint = NatsBroker.NewEndpoint();
        await using var host = await HostProcess.StartServerAsync(endpoint, await HostBinaryAsync());
        await using var client = await IpcClient.ConnectAsync(endpoint);
        var streams = client.Proxy<IStreams>();

        var afterItems = await Assert.ThrowsAsync<RemoteInvocationException>(() => streams.SumAsync(new Numbers().Count(100, throwAfter: 3)).WaitAsync(TimeSpan.FromSeconds(30)));
        // Failing before the first item: its StreamEnd is written before any credit and held until the handler's credit names its process.
        var beforeAny = await Assert.ThrowsAsync<RemoteInvocationException>(() => streams.SumAsync(new Numbers().Count(100, throwAfter: 0)).WaitAsync(TimeSpan.FromSeconds(30)));

        Assert.Contains("the caller's source broke", afterItems.RemoteMessage, StringComparison.Ordinal);
        Assert.Contains("the caller's source broke", beforeAny.RemoteMessage, StringComparison.Ordinal);
        Assert.Equal(3L, await streams.SumAsync(new Numbers().Count(2)).WaitAsync(TimeSpan.FromSeconds(30))); // the connection goes on
    }

    private sealed class Numbers
    {
        public volatile bool Disposed;

        public async IAsyncEnumerable<int> Count(int count, int throwAfter = -1)
        {
            try
            {
                for (int i = 1; i <= count; i++)
                {
                    if (i - 1 == throwAfter) throw new InvalidOperationException("the caller's source broke");
                    if (i % 256 == 0) await Task.Yield();
                    yield return i;
                }
            }
            finally { Disposed = true; }
        }
    }

    private sealed class Reports<T> : IProgress<T>
    {
        public System.Collections.Concurrent.ConcurrentQueue<T> Values { get; } = new();

        public void Report(T value) => Values.Enqueue(value);
    }

    private sealed class Reverser : IClientCallback
    {
        public Task<string> TransformAsync(string text) => Task.FromResult(new string(text.Reverse().ToArray()));
    }
}

public sealed class NatsCrossProcess() : NatsCrossProcessConformance(nativeAotHost: false);

public sealed class AotNatsCrossProcess() : NatsCrossProcessConformance(nativeAotHost: true);
