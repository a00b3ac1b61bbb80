using System.Collections.Concurrent;
using IpcContracts.TestContracts;
using IpcContracts.Tests.Support;

namespace IpcContracts.Tests.InProcess;

/// <summary>
/// Wiring a server without a nullable reference to itself: publishers taken from the builder while configuring,
/// handlers given their calling connection by a factory, and publishers that fail loudly when there is nobody to reach.
/// </summary>
public sealed class ServerWiringTests
{
    [Theory]
    [InlineData("inproc")]
    [InlineData("pipe")]
    public async Task A_handler_publishes_through_the_builders_publisher_to_every_subscribed_client(string transport)
    {
        await using var server = await IpcServer.StartAsync(Endpoints.For(transport), s =>
        {
            var ticks = s.Publisher<ITicks>();
            s.Handle<ICalculator>(new Calculator(() => ticks));
        });
        await using var first = await IpcClient.ConnectAsync(server.Endpoint.ToString());
        await using var second = await IpcClient.ConnectAsync(server.Endpoint.ToString());
        var firstTicks = new TickCollector(3);
        var secondTicks = new TickCollector(3);
        using var a = await first.SubscribeAsync<ITicks>(firstTicks);
        using var b = await second.SubscribeAsync<ITicks>(secondTicks);

        await first.Proxy<ICalculator>().PublishTicksAsync("builder", 3);

        await firstTicks.Done.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await secondTicks.Done.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal([1, 2, 3], firstTicks.Sequences);
        Assert.Equal([1, 2, 3], secondTicks.Sequences);
    }

    [Fact]
    public async Task Publishing_from_the_configure_callback_throws_because_the_server_does_not_exist_yet()
    {
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            IpcServer.StartAsync(Endpoints.InProc(), s => s.Publisher<ITicks>().Tick(new Tick(1, "too early"))));
        Assert.Contains("test.ticks", e.Message);
        Assert.Contains("does not exist yet", e.Message);
    }

    [Fact]
    public async Task Once_the_server_is_disposed_its_publishers_throw_ObjectDisposedException_instead_of_dropping_events()
    {
        ITicks? fromBuilder = null;
        var server = await IpcServer.StartAsync(Endpoints.InProc(), s => fromBuilder = s.Publisher<ITicks>());
        var fromServer = server.Publisher<ITicks>();
        fromServer.Tick(new Tick(1, "running")); // no subscriber: nothing to send, no error
        fromBuilder!.Tick(new Tick(2, "running"));

        await server.DisposeAsync();

        Assert.Throws<ObjectDisposedException>(() => fromServer.Tick(new Tick(3, "disposed")));
        Assert.Throws<ObjectDisposedException>(() => fromBuilder.Tick(new Tick(4, "disposed")));
    }

    [Fact]
    public async Task A_handler_factory_gets_the_connection_of_each_call_and_calls_that_client_back()
    {
        var seen = new ConcurrentQueue<IpcConnection>();
        await using var server = await IpcServer.StartAsync(Endpoints.InProc(), s => s.Handle<IClientCallback>(caller =>
        {
            seen.Enqueue(caller);
            return new CallerTransformer(caller);
        }));
        var endpoint = server.Endpoint.ToString();
        await using var shouting = await IpcClient.ConnectAsync(endpoint, c => c.Handle<IClientCallback>(new Transformer(s => s.ToUpperInvariant())));
        await using var whispering = await IpcClient.ConnectAsync(endpoint, c => c.Handle<IClientCallback>(new Transformer(s => s.ToLowerInvariant())));

        Assert.Equal("server heard 'HELLO'", await shouting.Proxy<IClientCallback>().TransformAsync("Hello"));
        Assert.Equal("server heard 'hello'", await whispering.Proxy<IClientCallback>().TransformAsync("Hello"));
        Assert.Equal("server heard 'HI'", await shouting.Proxy<IClientCallback>().TransformAsync("Hi"));

        Assert.Equal(3, seen.Count);                      // one handler per call ...
        Assert.Equal(2, seen.Distinct().Count());         // ... given the connection it came on
        Assert.All(seen, c => Assert.Contains(c, server.Connections));
    }

    [Fact]
    public async Task A_clients_builder_publisher_publishes_to_its_server()
    {
        await using var server = await IpcServer.StartAsync(Endpoints.InProc());
        var received = new TickCollector(1);
        using var subscription = await server.SubscribeAsync<ITicks>(received);
        ITicks? ticks = null;
        await using var client = await IpcClient.ConnectAsync(server.Endpoint.ToString(), c => ticks = c.Publisher<ITicks>());

        ticks!.Tick(new Tick(7, "client"));

        await received.Done.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal([7], received.Sequences);
    }

    /// <summary>Server side of IClientCallback: asks the calling client to transform the text, over the connection it was given.</summary>
    private sealed class CallerTransformer(IpcConnection caller) : IClientCallback
    {
        public async Task<string> TransformAsync(string text) => $"server heard '{await caller.Proxy<IClientCallback>().TransformAsync(text)}'";
    }

    private sealed class Transformer(Func<string, string> transform) : IClientCallback
    {
        public Task<string> TransformAsync(string text) => Task.FromResult(transform(text));
    }
}
