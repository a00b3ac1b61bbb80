using System.Collections.Concurrent;
using IpcContracts.TestContracts;
using IpcContracts.Tests.Support;

namespace IpcContracts.Tests.InProcess;

public sealed class EventTests
{
    [Fact]
    public async Task Events_fan_out_to_every_subscribed_client_in_order()
    {
        var endpoint = Endpoints.InProc();
        await using var server = await IpcServer.StartAsync(endpoint);
        var clients = new List<IpcClient>();
        var collectors = new List<TickCollector>();
        for (var i = 0; i < 5; i++)
        {
            var client = await IpcClient.ConnectAsync(endpoint);
            var collector = new TickCollector(500);
            client.Subscribe<ITicks>(collector);
            clients.Add(client);
            collectors.Add(collector);
        }
        await Eventually.TrueAsync(() => server.Connections.Count == 5);
        await Task.Delay(50); // Subscribe frames are in flight after Subscribe returns

        var publisher = server.Publisher<ITicks>();
        for (var i = 1; i <= 500; i++) publisher.Tick(new Tick(i, "server"));

        foreach (var c in collectors)
        {
            await c.Done.Task.WaitAsync(TimeSpan.FromSeconds(10));
            Assert.Equal(Enumerable.Range(1, 500), c.Sequences);
        }
        foreach (var client in clients) await client.DisposeAsync();
    }

    [Fact]
    public async Task Events_reach_only_subscribed_clients_and_stop_when_the_token_is_disposed()
    {
        var endpoint = Endpoints.InProc();
        await using var server = await IpcServer.StartAsync(endpoint);
        await using var subscribed = await IpcClient.ConnectAsync(endpoint);
        await using var bystander = await IpcClient.ConnectAsync(endpoint);
        var collector = new TickCollector(1);
        var token = subscribed.Subscribe<ITicks>(collector);
        await Eventually.TrueAsync(() => server.Connections.Count(c => c.PeerSubscribed(new(false, ContractIds.Ticks))) == 1);

        server.Publisher<ITicks>().Tick(new Tick(1, "s"));
        await collector.Done.Task.WaitAsync(TimeSpan.FromSeconds(10));
        token.Dispose();
        await Eventually.TrueAsync(() => server.Connections.All(c => !c.PeerSubscribed(new(false, ContractIds.Ticks))));
        server.Publisher<ITicks>().Tick(new Tick(2, "s"));
        await subscribed.Connection.PingAsync(); // anything sent before the pong has been delivered

        Assert.Equal([1], collector.Sequences);
    }

    [Fact]
    public async Task Task_returning_events_are_delivered_and_clients_can_publish_to_the_server()
    {
        var endpoint = Endpoints.InProc();
        await using var server = await IpcServer.StartAsync(endpoint);
        var collector = new TickCollector(3);
        using var sub = server.Subscribe<ITicks>(collector);
        await using var client = await IpcClient.ConnectAsync(endpoint);

        var publisher = client.Publisher<ITicks>();
        publisher.Tick(new Tick(1, "client"));
        await publisher.Reset("because");
        publisher.Tick(new Tick(2, "client"));

        await collector.Done.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(["tick 1", "reset because", "tick 2"], collector.Log);
    }

    [Fact]
    public async Task A_throwing_subscriber_is_reported_and_later_events_still_arrive()
    {
        var endpoint = Endpoints.InProc();
        var reported = new ConcurrentQueue<Exception>();
        await using var server = await IpcServer.StartAsync(endpoint);
        await using var client = await IpcClient.ConnectAsync(endpoint, options: new IpcOptions { EventHandlerException = reported.Enqueue });
        var collector = new TickCollector(2) { ThrowOnSequence = 1 };
        client.Subscribe<ITicks>(collector);
        await Eventually.TrueAsync(() => server.Connections.Any(c => c.PeerSubscribed(new(false, ContractIds.Ticks))));

        server.Publisher<ITicks>().Tick(new Tick(1, "s"));
        server.Publisher<ITicks>().Tick(new Tick(2, "s"));

        await collector.Done.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Single(reported);
    }

    [Fact]
    public async Task A_weak_subscription_ends_when_its_listener_is_collected_and_a_strong_one_does_not()
    {
        var endpoint = Endpoints.InProc();
        await using var server = await IpcServer.StartAsync(endpoint);
        await using var client = await IpcClient.ConnectAsync(endpoint);
        var strong = new TickCollector(1);
        client.Subscribe<ITicks>(strong); // token deliberately dropped: strong subscriptions live until disposed
        var weakRef = SubscribeWeakly(client);

        for (var i = 0; i < 3 && weakRef.IsAlive; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }
        Assert.False(weakRef.IsAlive);
        await Eventually.TrueAsync(() => server.Connections.Any(c => c.PeerSubscribed(new(false, ContractIds.Ticks))));
        server.Publisher<ITicks>().Tick(new Tick(1, "s"));

        await strong.Done.Task.WaitAsync(TimeSpan.FromSeconds(10));
    }

    private static WeakReference SubscribeWeakly(IpcClient client)
    {
        var listener = new TickCollector(1);
        client.Subscribe<ITicks>(listener, weak: true);
        return new WeakReference(listener);
    }

    internal sealed class TickCollector(int expected) : ITicks
    {
        private readonly Lock _lock = new();
        public List<int> Sequences { get; } = [];
        public List<string> Log { get; } = [];
        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public int ThrowOnSequence { get; init; } = -1;

        public void Tick(Tick tick)
        {
            lock (_lock)
            {
                Sequences.Add(tick.Sequence);
                Log.Add($"tick {tick.Sequence}");
                if (Log.Count == expected) Done.TrySetResult();
            }
            if (tick.Sequence == ThrowOnSequence) throw new InvalidOperationException("subscriber failure");
        }

        public Task Reset(string reason)
        {
            lock (_lock)
            {
                Log.Add($"reset {reason}");
                if (Log.Count == expected) Done.TrySetResult();
            }
            return Task.CompletedTask;
        }
    }
}

internal static class ContractIds
{
    public static uint Ticks => IpcContracts.Runtime.ContractRegistry.Get<ITicks>().Id;
}
