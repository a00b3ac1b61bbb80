using IpcContracts.Connections;
using IpcContracts.TestContracts;
using IpcContracts.Tests.Support;

namespace IpcContracts.Tests.Conformance;

/// <summary>
/// SubscribeAsync completes only once the peer has the subscription: an event published right after it is delivered,
/// with no Ping or polling in between. Run once per transport by the subclasses at the bottom.
/// </summary>
public abstract class AwaitedSubscriptionTests(string transport)
{
    private static readonly SubscriptionKey TicksKey = new(false, ContractIds.Ticks);

    [Fact]
    public async Task An_event_the_server_publishes_right_after_the_client_awaited_SubscribeAsync_is_delivered()
    {
        await using var server = await IpcServer.StartAsync(Endpoints.For(transport));
        await using var client = await IpcClient.ConnectAsync(server.Endpoint.ToString());
        var ticks = new TickCollector(1);

        using var sub = await client.SubscribeAsync<ITicks>(ticks);

        Assert.True(server.Connections.Single().PeerSubscribed(TicksKey)); // the server has it now, not eventually
        server.Publisher<ITicks>().Tick(new Tick(1, "server"));
        await ticks.Done.Task.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal([1], ticks.Sequences);
    }

    [Fact]
    public async Task An_event_the_server_publishes_right_after_the_client_awaited_SubscribeRawAsync_is_delivered()
    {
        await using var server = await IpcServer.StartAsync(Endpoints.For(transport));
        await using var client = await IpcClient.ConnectAsync(server.Endpoint.ToString());
        var received = new TaskCompletionSource<RawEvent>(TaskCreationOptions.RunContinuationsAsynchronously);

        using var sub = await client.SubscribeRawAsync("test.ticks", e => received.TrySetResult(e));

        Assert.True(server.Connections.Single().PeerSubscribed(TicksKey));
        server.Publisher<ITicks>().Tick(new Tick(7, "server"));
        var raw = await received.Task.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal("Tick", raw.Method);
    }

    [Fact]
    public async Task An_event_a_client_publishes_right_after_the_server_awaited_SubscribeAsync_is_delivered()
    {
        await using var server = await IpcServer.StartAsync(Endpoints.For(transport));
        await using var first = await IpcClient.ConnectAsync(server.Endpoint.ToString());
        await using var second = await IpcClient.ConnectAsync(server.Endpoint.ToString());
        var ticks = new TickCollector(2);

        using var sub = await server.SubscribeAsync<ITicks>(ticks);

        // Both clients, not just one: the server confirms with every client connected when it subscribed.
        Assert.True(first.Connection.PeerSubscribed(TicksKey));
        Assert.True(second.Connection.PeerSubscribed(TicksKey));
        first.Publisher<ITicks>().Tick(new Tick(1, "first"));
        second.Publisher<ITicks>().Tick(new Tick(2, "second"));
        await ticks.Done.Task.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal([1, 2], ticks.Sequences.Order()); // two connections: no order between them
    }

    /// <summary>
    /// The server's reader is held back (its ITicks subscriber blocks, its receive queue is full, and Wait stops it reading),
    /// so the client's Subscribe sits unread: SubscribeAsync must not complete until the server has read it.
    /// </summary>
    [Fact]
    public async Task SubscribeAsync_does_not_complete_while_the_server_has_not_read_the_subscription()
    {
        var serverOptions = new IpcOptions { Events = { MaxQueuedBytes = 16 * 1024, WaitTimeout = TimeSpan.FromSeconds(60) } };
        serverOptions.Events.SetOverflow<ITicks>(EventOverflowPolicy.Wait);
        await using var server = await IpcServer.StartAsync(Endpoints.For(transport), options: serverOptions);
        using var release = new ManualResetEventSlim();
        using var atServer = server.Subscribe<ITicks>(new GatedTicks(release));
        await using var client = await IpcClient.ConnectAsync(server.Endpoint.ToString());
        // The client's handshake can complete before the server has listed the connection (seen on shm under load).
        await Eventually.TrueAsync(() => server.Connections.Count == 1);
        var publisher = client.Publisher<ITicks>();
        // Far more than the server's 16 KiB receive bound: its reader stops before it reaches what follows.
        for (var i = 1; i <= 2000; i++) publisher.Tick(new Tick(i, new string('p', 100)));

        Task<IDisposable> pending;
        try
        {
            pending = client.SubscribeAsync<ITicks>(new TickCollector(1));
            Assert.False(pending.IsCompleted);
            Assert.False(server.Connections.Single().PeerSubscribed(TicksKey));
        }
        finally
        {
            release.Set();
        }
        using var sub = await pending.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(server.Connections.Single().PeerSubscribed(TicksKey));
    }

    [Fact]
    public async Task While_disconnected_SubscribeAsync_fails_with_ChannelFaultedException_and_keeps_nothing_registered()
    {
        var server = await IpcServer.StartAsync(Endpoints.For(transport));
        var bound = server.Endpoint.ToString(); // same port for tcp
        await using var client = await IpcClient.ConnectAsync(bound);
        var reconnected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        client.Reconnected += _ => reconnected.TrySetResult();
        var first = client.Connection;
        await server.DisposeAsync();
        await first.Completion.WaitAsync(TimeSpan.FromSeconds(10));

        var error = await Assert.ThrowsAsync<ChannelFaultedException>(() => client.SubscribeAsync<ITicks>(new TickCollector(1)));
        Assert.Contains("could not be confirmed", error.Message);

        // The failed subscription is not restored by the reconnect's Hello: the caller never got a token to end it.
        await using var restarted = await IpcServer.StartAsync(bound);
        await reconnected.Task.WaitAsync(TimeSpan.FromSeconds(20));
        await Eventually.TrueAsync(() => restarted.Connections.Count == 1); // its Hello (with any subscriptions) has been read
        Assert.False(restarted.Connections.Single().PeerSubscribed(TicksKey));
        using var sub = await client.SubscribeAsync<ITicks>(new TickCollector(1)); // connected again: confirmed
        Assert.True(restarted.Connections.Single().PeerSubscribed(TicksKey));
    }
}

internal sealed class GatedTicks(ManualResetEventSlim release) : ITicks
{
    public void Tick(Tick tick) => release.Wait(TimeSpan.FromSeconds(60));

    public Task Reset(string reason) => Task.CompletedTask;
}

public sealed class InProcAwaitedSubscription() : AwaitedSubscriptionTests("inproc");
public sealed class PipeAwaitedSubscription() : AwaitedSubscriptionTests("pipe");
public sealed class TcpAwaitedSubscription() : AwaitedSubscriptionTests("tcp");
public sealed class ShmAwaitedSubscription() : AwaitedSubscriptionTests("shm");
