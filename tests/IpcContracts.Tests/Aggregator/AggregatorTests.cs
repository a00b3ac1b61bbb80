using IpcContracts.TestContracts;
using IpcContracts.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace IpcContracts.Tests.Aggregator;

public sealed class AggregatorTests
{
    [Fact]
    public async Task Local_publish_and_request_run_in_process()
    {
        await using var bus = new EventAggregator(new IpcContractsOptions());
        var seen = new List<PriceChanged>();
        using var sub = bus.Subscribe<PriceChanged>(seen.Add);
        using var handler = bus.SubscribeRequest<GetPrice, Price>((r, _) => Task.FromResult(new Price(r.Sku, 9.5m)));

        var message = new PriceChanged("A-1", 10m);
        await bus.PublishAsync(message);
        var price = await bus.RequestAsync<GetPrice, Price>(new GetPrice("A-1"));

        Assert.Same(message, Assert.Single(seen)); // same instance: no serialization in-process
        Assert.Equal(new Price("A-1", 9.5m), price);
    }

    [Fact]
    public async Task Aggregators_in_two_endpoints_exchange_events_and_requests()
    {
        var endpoint = Endpoints.InProc();
        await using var server = new EventAggregator(new IpcContractsOptions().Listen(endpoint));
        using var handler = server.SubscribeRequest<GetPrice, Price>((r, _) => Task.FromResult(new Price(r.Sku, 3m)));
        var atServer = new TaskCompletionSource<PriceChanged>();
        using var serverSub = server.Subscribe<PriceChanged>(m => { if (m.Sku == "C-3") atServer.TrySetResult(m); });
        await server.StartAsync();

        await using var client = new EventAggregator(new IpcContractsOptions().Connect(endpoint));
        var atClient = new TaskCompletionSource<PriceChanged>();
        using var clientSub = client.Subscribe<PriceChanged>(m => { if (m.Sku == "D-4") atClient.TrySetResult(m); });
        await client.StartAsync();

        var price = await client.RequestAsync<GetPrice, Price>(new GetPrice("B-2"));
        await client.PublishAsync(new PriceChanged("C-3", 1m));
        await server.PublishAsync(new PriceChanged("D-4", 2m));

        Assert.Equal(new Price("B-2", 3m), price);
        Assert.Equal("C-3", (await atServer.Task.WaitAsync(TimeSpan.FromSeconds(10))).Sku);
        Assert.Equal("D-4", (await atClient.Task.WaitAsync(TimeSpan.FromSeconds(10))).Sku);
    }

    [Fact]
    public async Task A_request_to_another_process_takes_the_IpcCall_WithTimeout_deadline()
    {
        var endpoint = Endpoints.InProc();
        var never = new TaskCompletionSource<Price>(TaskCreationOptions.RunContinuationsAsynchronously);
        var cancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = new EventAggregator(new IpcContractsOptions().Listen(endpoint));
        using var handler = server.SubscribeRequest<GetPrice, Price>((_, ct) =>
        {
            ct.Register(() => cancelled.TrySetResult());
            return never.Task;
        });
        await server.StartAsync();
        await using var client = new EventAggregator(new IpcContractsOptions().Connect(endpoint));
        await client.StartAsync();

        Task<Price> request;
        using (IpcCall.WithTimeout(TimeSpan.FromMilliseconds(300)))
            request = client.RequestAsync<GetPrice, Price>(new GetPrice("A-1"));

        var e = await Assert.ThrowsAsync<TimeoutException>(() => request); // without the scope: the 30 s default, named in the message
        Assert.Contains("IpcCall.WithTimeout", e.Message);
        await cancelled.Task.WaitAsync(TimeSpan.FromSeconds(10)); // the deadline cancelled the handler
    }

    [Fact]
    public async Task Publishing_on_a_disconnected_client_throws_ChannelFaultedException_and_delivers_to_nobody()
    {
        // Issue #11, defect 9: PublishAsync on a client whose connection was gone returned normally and the event
        // was lost without a word; docs/semantics.md (Events 3) says it throws.
        var endpoint = Endpoints.Pipe();
        var server = new EventAggregator(new IpcContractsOptions().Listen(endpoint));
        var atServer = new TaskCompletionSource<PriceChanged>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var serverSub = server.Subscribe<PriceChanged>(m => atServer.TrySetResult(m));
        await server.StartAsync();
        await using var client = new EventAggregator(new IpcContractsOptions().Connect(endpoint));
        var local = 0;
        using var clientSub = client.Subscribe<PriceChanged>(_ => Interlocked.Increment(ref local));
        await client.StartAsync();
        await client.PublishAsync(new PriceChanged("before", 1m));
        Assert.Equal("before", (await atServer.Task.WaitAsync(TimeSpan.FromSeconds(10))).Sku);

        await server.DisposeAsync(); // the client sees the Goodbye; nobody listens any more, so it cannot reconnect
        var published = 1;
        ChannelFaultedException? thrown = null;
        var deadline = Environment.TickCount64 + 10_000;
        while (thrown is null)
        {
            try
            {
                await client.PublishAsync(new PriceChanged("after", 2m)); // fine until the client notices the Goodbye
                published++;
            }
            catch (ChannelFaultedException e)
            {
                thrown = e;
            }
            if (Environment.TickCount64 > deadline) Assert.Fail("PublishAsync kept returning normally on a disconnected client.");
            await Task.Delay(10);
        }

        Assert.Contains(endpoint, thrown.Message);
        Assert.Equal(published, Volatile.Read(ref local)); // the failed publish reached no local subscriber either: a retry duplicates nothing
        await Assert.ThrowsAsync<ChannelFaultedException>(() => client.PublishAsync(new PriceChanged("again", 3m)));
    }

    [Fact]
    public async Task A_request_nobody_answers_is_a_ContractMismatchException()
    {
        var endpoint = Endpoints.InProc();
        await using var server = new EventAggregator(new IpcContractsOptions().Listen(endpoint));
        await server.StartAsync();
        await using var client = new EventAggregator(new IpcContractsOptions().Connect(endpoint));

        await Assert.ThrowsAsync<ContractMismatchException>(() => client.RequestAsync<GetPrice, Price>(new GetPrice("x")));
    }

    [Fact]
    public async Task Unsubscribing_stops_delivery_and_weak_lambdas_are_collected()
    {
        await using var bus = new EventAggregator(new IpcContractsOptions());
        var count = 0;
        var token = bus.Subscribe<PriceChanged>(_ => count++);
        await bus.PublishAsync(new PriceChanged("a", 1));
        bus.Unsubscribe(token);
        await bus.PublishAsync(new PriceChanged("a", 1));
        Assert.Equal(1, count);

        var weakCount = new int[1];
        SubscribeWeakLambda(bus, weakCount);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        await bus.PublishAsync(new PriceChanged("a", 1));
        Assert.Equal(0, weakCount[0]); // the seed-000 pitfall, now only in the mode that asks for it
    }

    private static void SubscribeWeakLambda(EventAggregator bus, int[] counter) =>
        bus.Subscribe<PriceChanged>(_ => counter[0]++, weak: true);

    [Fact]
    public async Task AddIpcContracts_registers_one_aggregator_singleton()
    {
        var services = new ServiceCollection().AddIpcContracts();
        await using var provider = services.BuildServiceProvider();

        var a = provider.GetRequiredService<IEventAggregator>();
        var b = provider.GetRequiredService<IEventAggregator>();

        Assert.Same(a, b);
        var got = new List<string>();
        using var sub = a.Subscribe<PriceChanged>(m => got.Add(m.Sku));
        await b.PublishAsync(new PriceChanged("Z", 0));
        Assert.Equal(["Z"], got);
    }

    [Fact]
    public async Task A_type_without_JSON_metadata_is_a_clear_configuration_error()
    {
        await using var bus = new EventAggregator(new IpcContractsOptions());

        var e = await Assert.ThrowsAsync<IpcConfigurationException>(() => bus.PublishAsync(new Unregistered()));

        Assert.Contains("JsonSerializable", e.Message);
    }

    private sealed record Unregistered;
}
