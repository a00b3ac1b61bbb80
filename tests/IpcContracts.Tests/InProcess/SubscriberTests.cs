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

    private static WeakReference SubscribeWeakly(IpcClient client)
    {
        var listener = new TickCollector(1);
        client.Subscribe<ITicks>(listener, weak: true);
        return new WeakReference(listener);
    }
}
