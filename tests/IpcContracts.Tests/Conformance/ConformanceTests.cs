using System.Collections.Concurrent;
using IpcContracts.Connections;
using IpcContracts.TestContracts;
using IpcContracts.Tests.Support;

namespace IpcContracts.Tests.Conformance;

/// <summary>
/// The behaviour every transport must show, run once per transport by the subclasses at the bottom.
/// Cross-process cases live in <see cref="CrossProcess.CrossProcessTests"/>.
/// </summary>
public abstract class ConformanceTests(string transport, bool dedicatedReader = false)
{
    /// <summary>
    /// The options a case passes, with <see cref="IpcOptions.DedicatedReaderThread"/> <c>true</c> in the "DedicatedReader" classes
    /// and <c>false</c> in the others, so those always cover the thread pool's read path (the automatic default:
    /// Liveness/AutomaticReaderThreadTests and the cross-process suites).
    /// </summary>
    private IpcOptions? O(IpcOptions? given = null) => ReaderOptions.Apply(given, dedicatedReader);

    private string NewEndpoint() => Endpoints.For(transport);

    private Task<Pair> StartPairAsync(IpcOptions? serverOptions = null, IpcOptions? clientOptions = null) =>
        Pair.StartAsync(NewEndpoint(), O(serverOptions), O(clientOptions));

    [Fact]
    public async Task Calls_with_zero_one_and_many_parameters_return_the_handlers_results()
    {
        await using var pair = await StartPairAsync();
        var calc = pair.Calculator;

        Assert.Equal(42, await calc.GetAnswerAsync());
        Assert.Equal("héllo \"quoted\" \u2603", await calc.EchoAsync("héllo \"quoted\" \u2603"));
        Assert.Equal(7, await calc.AddAsync(3, 4));
        Assert.Equal(new Totals(-6, "label"), await calc.SumAsync([1, 2, 3], "label", negate: true));
        Assert.Equal(11, await calc.IncrementAsync(10));
        await calc.NoResultAsync("fine");
    }

    [Fact]
    public async Task A_thousand_concurrent_calls_on_one_connection_each_get_their_own_answer()
    {
        await using var pair = await StartPairAsync();
        var calc = pair.Calculator;

        var results = await Task.WhenAll(Enumerable.Range(0, 1000).Select(i => calc.AddAsync(i, 1_000_000)));

        Assert.Equal(Enumerable.Range(1_000_000, 1000), results);
    }

    [Fact]
    public async Task Events_fan_out_to_five_clients_in_order_for_each()
    {
        var endpoint = NewEndpoint();
        await using var server = await IpcServer.StartAsync(endpoint, options: O());
        var clients = new List<IpcClient>();
        var collectors = new List<TickCollector>();
        for (var i = 0; i < 5; i++)
        {
            var client = await IpcClient.ConnectAsync(server.Endpoint.ToString(), options: O());
            var collector = new TickCollector(500);
            client.Subscribe<ITicks>(collector);
            clients.Add(client);
            collectors.Add(collector);
        }
        await Eventually.TrueAsync(() => server.Connections.Count(c => c.PeerSubscribed(new(false, ContractIds.Ticks))) == 5);

        var publisher = server.Publisher<ITicks>();
        for (var i = 1; i <= 500; i++) publisher.Tick(new Tick(i, "server"));

        foreach (var c in collectors)
        {
            await c.Done.Task.WaitAsync(TimeSpan.FromSeconds(20));
            Assert.Equal(Enumerable.Range(1, 500), c.Sequences);
        }
        foreach (var client in clients) await client.DisposeAsync();
    }

    [Fact]
    public async Task Events_stop_when_the_subscription_token_is_disposed_and_clients_can_publish_to_the_server()
    {
        var endpoint = NewEndpoint();
        await using var server = await IpcServer.StartAsync(endpoint, options: O());
        var atServer = new TickCollector(3);
        using var serverSub = server.Subscribe<ITicks>(atServer);
        await using var client = await IpcClient.ConnectAsync(server.Endpoint.ToString(), options: O());
        var atClient = new TickCollector(1);
        var token = client.Subscribe<ITicks>(atClient);
        await Eventually.TrueAsync(() => server.Connections.Any(c => c.PeerSubscribed(new(false, ContractIds.Ticks))));

        server.Publisher<ITicks>().Tick(new Tick(1, "s"));
        await atClient.Done.Task.WaitAsync(TimeSpan.FromSeconds(10));
        token.Dispose();
        await Eventually.TrueAsync(() => server.Connections.All(c => !c.PeerSubscribed(new(false, ContractIds.Ticks))));
        server.Publisher<ITicks>().Tick(new Tick(2, "s"));
        var publisher = client.Publisher<ITicks>();
        publisher.Tick(new Tick(10, "client"));
        await publisher.Reset("because");
        publisher.Tick(new Tick(11, "client"));
        await client.Connection.PingAsync(); // anything sent to us before the pong has been delivered

        Assert.Equal([1], atClient.Sequences);
        await atServer.Done.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(["tick 10", "reset because", "tick 11"], atServer.Log);
    }

    [Fact]
    public async Task The_server_calls_back_into_the_client_during_a_call()
    {
        await using var pair = await StartPairAsync();

        Assert.Equal("server saw 'HELLO'", await pair.Calculator.CallBackAsync("hello"));
    }

    [Fact]
    public async Task Cancellation_reaches_the_handler()
    {
        await using var pair = await StartPairAsync();
        var probe = Guid.NewGuid().ToString();
        using var cts = new CancellationTokenSource();

        var call = pair.Calculator.WaitUntilCancelledAsync(probe, cts.Token);
        await Eventually.TrueAsync(() => Calculator.StartedProbes.ContainsKey(probe));
        cts.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
        await Eventually.TrueAsync(() => Calculator.CancelledProbes.ContainsKey(probe));
    }

    [Fact]
    public async Task A_remote_exception_arrives_with_type_message_and_stack_and_the_connection_survives()
    {
        await using var pair = await StartPairAsync();

        var e = await Assert.ThrowsAsync<RemoteInvocationException>(() => pair.Calculator.ThrowAsync("boom"));

        Assert.Equal("System.InvalidOperationException", e.RemoteType);
        Assert.Equal("boom", e.RemoteMessage);
        Assert.Contains(nameof(Calculator.ThrowAsync), e.RemoteStackTrace);
        Assert.Equal(42, await pair.Calculator.GetAnswerAsync());
    }

    [Fact]
    public async Task A_contract_the_server_lacks_gives_ContractMismatchException()
    {
        await using var pair = await StartPairAsync();

        var e = await Assert.ThrowsAsync<ContractMismatchException>(() => pair.Client.Proxy<IUnhandled>().NobodyAnswersAsync());

        Assert.Equal("test.unhandled", e.Contract);
        Assert.Equal(42, await pair.Calculator.GetAnswerAsync());
    }

    [Fact]
    public async Task A_24_MB_request_and_a_24_MB_response_arrive_byte_for_byte()
    {
        await using var pair = await StartPairAsync();
        var request = Patterns.Bytes(24 * 1024 * 1024, 3);

        Assert.Equal(request.Length, await pair.Calculator.SizeOfAsync(request));
        var echoed = await pair.Calculator.EchoBytesAsync(request);

        Assert.True(request.AsSpan().SequenceEqual(echoed));
    }

    [Fact]
    public async Task A_JSON_string_of_several_MB_crosses_both_ways_intact()
    {
        // Several megabytes of JSON arrive in many pieces on the socket transports (256 KiB segments) and are copied into one
        // buffer before they are parsed (IpcConnection.ContiguousJsonMinimum); escapes and multi-byte characters cross the
        // piece boundaries at varied offsets.
        await using var pair = await StartPairAsync();
        var text = string.Create(3 * 1024 * 1024 + 7, 0, static (span, _) =>
        {
            ReadOnlySpan<char> alphabet = "ab\"c\\d\ne\u00e9f\u4e2d\u0001g";
            for (var i = 0; i < span.Length; i++) span[i] = alphabet[(i * 7 + i / 13) % alphabet.Length];
        });

        var echoed = await pair.Calculator.EchoAsync(text);

        Assert.Equal(text.Length, echoed.Length);
        Assert.True(text.AsSpan().SequenceEqual(echoed));
        Assert.Equal(42, await pair.Calculator.GetAnswerAsync());
    }

    [Fact]
    public async Task After_a_server_restart_the_client_reconnects_explicitly()
    {
        var endpoint = NewEndpoint();
        var server = await IpcServer.StartAsync(endpoint, b => b.Handle<ICalculator>(new Calculator()), O());
        var bound = server.Endpoint.ToString(); // same port for tcp
        var client = await IpcClient.ConnectAsync(bound, options: O(new IpcOptions { Reconnect = { Enabled = false } }));
        Assert.Equal(42, await client.Proxy<ICalculator>().GetAnswerAsync());

        await server.DisposeAsync();
        await client.Connection.Completion.WaitAsync(TimeSpan.FromSeconds(10));
        await Assert.ThrowsAsync<ChannelFaultedException>(() => client.Proxy<ICalculator>().GetAnswerAsync());
        await client.DisposeAsync();
        await using var restarted = await IpcServer.StartAsync(bound, b => b.Handle<ICalculator>(new Calculator()), O());
        await using var again = await IpcClient.ConnectAsync(bound, options: O());

        Assert.Equal(42, await again.Proxy<ICalculator>().GetAnswerAsync());
    }

    [Fact]
    public async Task After_a_server_restart_the_client_reconnects_by_itself_keeps_its_proxies_and_subscriptions_and_runs_the_hook()
    {
        var endpoint = NewEndpoint();
        IpcServer? server = null;
        server = await IpcServer.StartAsync(endpoint, b => b.Handle<ICalculator>(new Calculator(() => server!.Publisher<ITicks>())), O());
        var bound = server.Endpoint.ToString();
        var hookRuns = 0;
        await using var client = await IpcClient.ConnectAsync(bound, options: O(new IpcOptions
        {
            Reconnect = { OnReconnected = c => { Interlocked.Increment(ref hookRuns); return c.Proxy<ICalculator>().GetAnswerAsync(); } },
        }));
        var calc = client.Proxy<ICalculator>();
        var ticks = new TickCollector(1);
        using var sub = client.Subscribe<ITicks>(ticks);
        Assert.Equal(42, await calc.GetAnswerAsync());
        var first = client.Connection;

        await server.DisposeAsync();
        await first.Completion.WaitAsync(TimeSpan.FromSeconds(10));
        await Assert.ThrowsAsync<ChannelFaultedException>(() => calc.GetAnswerAsync()); // while disconnected: fail fast
        server = await IpcServer.StartAsync(bound, b => b.Handle<ICalculator>(new Calculator(() => server!.Publisher<ITicks>())), O());
        await using var _ = server;
        await Eventually.TrueAsync(() => client.Reconnects == 1 && hookRuns == 1);

        Assert.Equal(7, await calc.AddAsync(3, 4)); // the same proxy, on the new connection
        await calc.PublishTicksAsync("after restart", 1); // the subscription came back with the new Hello
        await ticks.Done.Task.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task One_server_serves_ten_clients_at_once()
    {
        var endpoint = NewEndpoint();
        await using var server = await IpcServer.StartAsync(endpoint, b => b.Handle<ICalculator>(new Calculator()), O());
        var clients = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => IpcClient.ConnectAsync(server.Endpoint.ToString(), options: O())));

        var results = await Task.WhenAll(clients.Select((c, i) => Task.WhenAll(Enumerable.Range(0, 100).Select(j => c.Proxy<ICalculator>().AddAsync(i, j)))));

        for (var i = 0; i < 10; i++) Assert.Equal(Enumerable.Range(i, 100), results[i]);
        Assert.Equal(10, server.Connections.Count);
        foreach (var c in clients) await c.DisposeAsync();
    }

    [Fact]
    public async Task When_the_server_goes_away_every_pending_call_fails_with_ChannelFaultedException()
    {
        var pair = await StartPairAsync();
        var pending = Enumerable.Range(0, 10).Select(_ => pair.Calculator.DelayAsync(60_000, CancellationToken.None)).ToArray();

        await pair.Server.DisposeAsync();

        foreach (var call in pending)
            await Assert.ThrowsAsync<ChannelFaultedException>(() => call.WaitAsync(TimeSpan.FromSeconds(10)));
        await Assert.ThrowsAsync<ChannelFaultedException>(() => pair.Calculator.GetAnswerAsync());
        await pair.Client.DisposeAsync();
    }

    [Fact]
    public async Task Disposing_client_and_server_releases_sockets_segment_files_and_reader_threads()
    {
        var endpoint = NewEndpoint();
        var segmentsBefore = SegmentFilesOfThisProcess();
        var server = await IpcServer.StartAsync(endpoint, b => b.Handle<ICalculator>(new Calculator()), O());
        var client = await IpcClient.ConnectAsync(server.Endpoint.ToString(), options: O());
        await client.Proxy<ICalculator>().GetAnswerAsync();
        var connections = server.Connections.Append(client.Connection).ToArray();

        await client.DisposeAsync();
        await server.DisposeAsync();

        foreach (var c in connections)
        {
            await c.Completion.WaitAsync(TimeSpan.FromSeconds(10));
            await c.LoopsCompleted.WaitAsync(TimeSpan.FromSeconds(10)); // read and event loops (and shm's reader thread) ended
        }
        foreach (var path in FilesFor(server.Endpoint)) Assert.False(File.Exists(path), $"{path} was left behind");
        // Only shm makes segments; on the other transports a difference is another test class's shm pair, running in parallel.
        if (transport == "shm") Assert.Equal(segmentsBefore, SegmentFilesOfThisProcess());
    }

    private static IEnumerable<string> FilesFor(IpcContracts.Transports.IpcEndpoint endpoint) => endpoint.Scheme switch
    {
        "pipe" => [IpcContracts.Transports.Pipe.UnixSocketPipes.GetSocketPath(endpoint)],
        "shm" => [IpcContracts.Transports.Pipe.UnixSocketPipes.GetSocketPath(new("pipe", endpoint.Address + ".shm"))],
        _ => [],
    };

    private static string[] SegmentFilesOfThisProcess() =>
        Directory.EnumerateFiles(IpcContracts.Transports.SharedMemory.LinuxShm.SegmentDirectory, $"ipccontracts-{Environment.UserName}-{Environment.ProcessId}-*")
            .Order().ToArray();
}

public sealed class InProcConformance() : ConformanceTests("inproc");
public sealed class PipeConformance() : ConformanceTests("pipe");
public sealed class TcpConformance() : ConformanceTests("tcp");
public sealed class ShmConformance() : ConformanceTests("shm");

/// <summary>pipe:// with each connection reading on a thread of its own (<see cref="IpcOptions.DedicatedReaderThread"/>).</summary>
public sealed class PipeDedicatedReaderConformance() : ConformanceTests("pipe", dedicatedReader: true);
/// <summary>tcp:// with each connection reading on a thread of its own.</summary>
public sealed class TcpDedicatedReaderConformance() : ConformanceTests("tcp", dedicatedReader: true);
