using System.Collections.Concurrent;
using IpcContracts.Protocol;
using IpcContracts.Runtime;
using IpcContracts.TestContracts;
using IpcContracts.Tests.Support;

namespace IpcContracts.Tests.Hardening;

public sealed class LimitsTests
{
    [Fact]
    public async Task Connections_beyond_MaxConnections_are_refused_with_a_reason_and_the_others_keep_working()
    {
        var endpoint = Endpoints.Pipe();
        await using var server = await IpcServer.StartAsync(endpoint, b => b.Handle<ICalculator>(new Calculator()), new IpcOptions { MaxConnections = 2 });
        await using var first = await IpcClient.ConnectAsync(endpoint);
        await using var second = await IpcClient.ConnectAsync(endpoint);

        var e = await Assert.ThrowsAsync<ChannelFaultedException>(() => IpcClient.ConnectAsync(endpoint));

        Assert.Contains("MaxConnections", e.Message);
        Assert.Equal(42, await first.Proxy<ICalculator>().GetAnswerAsync());
        Assert.Equal(42, await second.Proxy<ICalculator>().GetAnswerAsync());
    }

    [Fact]
    public async Task Throwing_ClientConnected_and_ClientDisconnected_handlers_are_reported_and_never_cost_a_connection_slot()
    {
        // Issue #11, defect 7: a throwing ClientConnected handler leaked its connection's slot for good (no
        // ClientDisconnected), so after MaxConnections such clients the server refused everyone.
        var endpoint = Endpoints.Pipe();
        var reported = new ConcurrentQueue<Exception>();
        await using var server = await IpcServer.StartAsync(endpoint, b => b.Handle<ICalculator>(new Calculator()),
            new IpcOptions { MaxConnections = 2, EventHandlerException = reported.Enqueue });
        var connectedAfterTheThrow = 0;
        var disconnected = 0;
        server.ClientConnected += _ => throw new InvalidOperationException("ClientConnected bug");
        server.ClientConnected += _ => Interlocked.Increment(ref connectedAfterTheThrow); // a handler after a throwing one still runs
        server.ClientDisconnected += (_, _) => throw new InvalidOperationException("ClientDisconnected bug");
        server.ClientDisconnected += (_, _) => Interlocked.Increment(ref disconnected);

        const int clients = 5; // one after another, more than MaxConnections
        for (var i = 1; i <= clients; i++)
        {
            await using (var client = await IpcClient.ConnectAsync(endpoint, options: new IpcOptions { Reconnect = { Enabled = false } }))
                Assert.Equal(42, await client.Proxy<ICalculator>().GetAnswerAsync());
            await Eventually.TrueAsync(() => Volatile.Read(ref disconnected) == i);
        }

        Assert.Equal(clients, Volatile.Read(ref connectedAfterTheThrow));
        Assert.Equal(clients, reported.Count(e => e.Message == "ClientConnected bug"));
        Assert.Equal(clients, reported.Count(e => e.Message == "ClientDisconnected bug"));
        Assert.Empty(server.Connections);
    }

    [Fact]
    public async Task Requests_beyond_MaxInFlightRequests_are_refused_as_overloaded_without_running()
    {
        await using var pair = await Pair.StartAsync(Endpoints.InProc(), serverOptions: new IpcOptions { MaxInFlightRequests = 2 });
        using var cts = new CancellationTokenSource();
        var probes = Enumerable.Range(0, 2).Select(_ => Guid.NewGuid().ToString()).ToArray();
        var running = probes.Select(p => pair.Calculator.WaitUntilCancelledAsync(p, cts.Token)).ToArray();
        await Eventually.TrueAsync(() => probes.All(Calculator.StartedProbes.ContainsKey));

        var refused = Guid.NewGuid().ToString();
        await Assert.ThrowsAsync<IpcOverloadedException>(() => pair.Calculator.WaitUntilCancelledAsync(refused, CancellationToken.None));

        Assert.False(Calculator.StartedProbes.ContainsKey(refused));
        cts.Cancel();
        foreach (var r in running) await Assert.ThrowsAnyAsync<OperationCanceledException>(() => r);
        // The caller stops waiting at once; the server frees the slots when the handlers' replies go out.
        await Eventually.TrueAsync(() => pair.Server.Connections.Single().InFlightRequests == 0);
        Assert.Equal(42, await pair.Calculator.GetAnswerAsync());
    }

    [Fact]
    public async Task A_client_that_stops_reading_is_disconnected_at_the_send_queue_limit_and_does_not_block_other_clients()
    {
        var endpoint = Endpoints.Pipe();
        await using var server = await IpcServer.StartAsync(endpoint, options: new IpcOptions { MaxSendQueueBytes = 1024 * 1024 });
        var ticks = ContractRegistry.Get<ITicks>();
        // A raw peer that subscribes and then never reads a byte.
        await using var stalled = await RawPeer.ConnectAsync(endpoint);
        await stalled.SendAsync(RawPeer.Frame(FrameKind.Hello, json: RawPeer.Hello(subscribes: $"[{ticks.Id}]")));
        await using var healthy = await IpcClient.ConnectAsync(endpoint);
        var collector = new TickCollector(20_000);
        using var sub = healthy.Subscribe<ITicks>(collector);
        await Eventually.TrueAsync(() => server.Connections.Count(c => c.PeerSubscribed(new(false, ticks.Id))) == 2);

        var publisher = server.Publisher<ITicks>();
        var source = new string('s', 512);
        for (var i = 1; i <= 20_000; i++)
        {
            publisher.Tick(new Tick(i, source)); // ~10 MB to each subscriber in all; Publish never blocks
            // Batches the healthy client can keep up with (its queue stays small); the stalled one only grows.
            if (i % 500 == 0) await Eventually.TrueAsync(() => collector.Count >= i);
        }

        await collector.Done.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(Enumerable.Range(1, 20_000), collector.Sequences);
        await Eventually.TrueAsync(() => server.Connections.Count == 1); // the stalled one was closed
    }
}
