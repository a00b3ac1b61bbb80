using System.Collections.Concurrent;
using IpcContracts.TestContracts;
using IpcContracts.Tests.Support;

namespace IpcContracts.Tests.InProcess;

public sealed class SubscriberTests
{
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

    [Fact]
    public async Task A_listener_deriving_from_the_generated_base_receives_only_the_events_it_overrides()
    {
        var endpoint = Endpoints.InProc();
        var reported = new ConcurrentQueue<Exception>();
        await using var server = await IpcServer.StartAsync(endpoint);
        await using var client = await IpcClient.ConnectAsync(endpoint, options: new IpcOptions { EventHandlerException = reported.Enqueue });
        var ticksOnly = new TickOnlyListener();
        var resetsOnly = new ResetOnlyListener();
        var everything = new TickCollector(4); // implements the whole interface: proves every event reached this client
        using var s1 = client.Subscribe<ITicks>(ticksOnly);
        using var s2 = client.Subscribe<ITicks>(resetsOnly);
        using var s3 = client.Subscribe<ITicks>(everything);
        await Eventually.TrueAsync(() => server.Connections.Any(c => c.PeerSubscribed(new(false, ContractIds.Ticks))));

        var publisher = server.Publisher<ITicks>();
        await publisher.Reset("a");
        publisher.Tick(new Tick(1, "s"));
        await publisher.Reset("b");
        publisher.Tick(new Tick(2, "s"));

        await everything.Done.Task.WaitAsync(TimeSpan.FromSeconds(10));
        // One event at a time, each to the subscribers in subscription order: the two listeners have seen all four by now.
        Assert.Equal(["reset a", "tick 1", "reset b", "tick 2"], everything.Log);
        Assert.Equal(["tick 1", "tick 2"], ticksOnly.Log);
        Assert.Equal(["reset a", "reset b"], resetsOnly.Log);
        Assert.Empty(reported); // the base's no-ops for the other events neither throw nor fault
    }

    /// <summary>Overrides the void event only: Reset stays the generated no-op.</summary>
    private sealed class TickOnlyListener : TicksListener
    {
        public List<string> Log { get; } = [];

        public override void Tick(Tick tick) => Log.Add($"tick {tick.Sequence}");
    }

    /// <summary>Overrides the Task event only: Tick stays the generated no-op.</summary>
    private sealed class ResetOnlyListener : TicksListener
    {
        public List<string> Log { get; } = [];

        public override async Task Reset(string reason)
        {
            await Task.Yield(); // a real asynchronous override: the next event waits for it like any subscriber
            Log.Add($"reset {reason}");
        }
    }

    private static WeakReference SubscribeWeakly(IpcClient client)
    {
        var listener = new TickCollector(1);
        client.Subscribe<ITicks>(listener, weak: true);
        return new WeakReference(listener);
    }
}
