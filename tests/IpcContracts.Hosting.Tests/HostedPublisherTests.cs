using System.Collections.Concurrent;
using IpcContracts.TestContracts;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace IpcContracts.Hosting.Tests;

/// <summary>
/// Publishers registered with <c>AddPublisher</c> are singletons that work for the whole host lifetime: from background
/// work a handler started (after its call scope is gone) and from a <see cref="BackgroundService"/> (from its start to its
/// stop, whatever the order it was registered in); used outside the host's lifetime they throw instead of dropping events.
/// </summary>
public sealed class HostedPublisherTests
{
    private static IHost BuildHost(Action<IServiceCollection> before, Action<IpcContractsBuilder> configure, Action<IServiceCollection>? after = null)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        before(builder.Services);
        configure(builder.Services.AddIpcContracts());
        after?.Invoke(builder.Services);
        return builder.Build();
    }

    [Fact]
    public async Task A_publisher_injected_into_a_scoped_handler_publishes_from_background_work_after_the_call_scope_ended()
    {
        var endpoint = Endpoints.Pipe();
        var deferred = new DeferredWork();
        using var host = BuildHost(
            services => services.AddSingleton(deferred).AddScoped<ScopeProbe>(),
            ipc => ipc.AddServer(endpoint, s => s
                // The handler gets the publisher by injection (a singleton) and hands the publishing to background work.
                .Handle<ICalculator>(sp =>
                {
                    var ticks = sp.GetRequiredService<ITicks>();
                    sp.GetRequiredService<ScopeProbe>();
                    return new Calculator(() => new DeferredTicks(ticks, deferred));
                })
                .AddPublisher<ITicks>()));
        await host.StartAsync();
        await using var client = await IpcClient.ConnectAsync(endpoint);
        var received = new TickQueue();
        using var subscription = await client.SubscribeAsync<ITicks>(received);

        await client.Proxy<ICalculator>().PublishTicksAsync("later", 3); // queues three publishes and returns
        await deferred.ScopeEnded.Task.WaitAsync(TimeSpan.FromSeconds(30));   // the call's scope is disposed
        await deferred.RunAllAsync();                                        // now publish, on a pool thread

        int[] sequences = [await received.NextAsync(), await received.NextAsync(), await received.NextAsync()];
        Assert.Equal([1, 2, 3], sequences);
        await host.StopAsync();
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_BackgroundService_publishes_through_an_injected_publisher_from_its_start_until_it_has_stopped(bool registeredBeforeTheServer)
    {
        var endpoint = Endpoints.Pipe();
        Action<IServiceCollection> addWorker = services => services.AddSingleton<TickingWorker>().AddHostedService(sp => sp.GetRequiredService<TickingWorker>());
        using var host = registeredBeforeTheServer
            ? BuildHost(addWorker, ipc => ipc.AddServer(endpoint, s => s.AddPublisher<ITicks>()))
            : BuildHost(_ => { }, ipc => ipc.AddServer(endpoint, s => s.AddPublisher<ITicks>()), addWorker);
        var worker = host.Services.GetRequiredService<TickingWorker>();

        await host.StartAsync();
        Assert.Null(await worker.FirstPublish.Task.WaitAsync(TimeSpan.FromSeconds(30))); // publishing at its start did not throw
        await using var client = await IpcClient.ConnectAsync(endpoint);
        var received = new TickQueue();
        using var subscription = await client.SubscribeAsync<ITicks>(received);

        worker.Publish.Writer.TryWrite(10);
        Assert.Equal(10, await received.NextAsync());
        var stopping = host.StopAsync();                  // the worker publishes 99 while it stops
        Assert.Equal(99, await received.NextAsync());
        await stopping;
        Assert.Null(worker.LastPublish);
    }

    [Fact]
    public async Task A_hosted_publisher_used_before_the_host_started_or_after_it_stopped_throws_instead_of_dropping_the_event()
    {
        var endpoint = Endpoints.Pipe();
        using var host = BuildHost(_ => { }, ipc => ipc.AddServer("events", endpoint, s => s.AddPublisher<ITicks>()));
        var ticks = host.Services.GetRequiredService<ITicks>();

        var early = Assert.Throws<InvalidOperationException>(() => ticks.Tick(new Tick(1, "early")));
        Assert.Contains("'events'", early.Message);
        Assert.Contains("not running", early.Message);

        await host.StartAsync();
        ticks.Tick(new Tick(2, "running")); // no subscriber yet: nothing to send, and no error
        await host.StopAsync();

        var late = Assert.Throws<InvalidOperationException>(() => ticks.Tick(new Tick(3, "late")));
        Assert.Contains("'events'", late.Message);
    }

    [Fact]
    public async Task A_hosted_handler_factory_receives_the_calling_connection_and_calls_that_client_back()
    {
        var endpoint = Endpoints.Pipe();
        var seen = new ConcurrentQueue<IpcConnection>();
        using var host = BuildHost(_ => { }, ipc => ipc.AddServer(endpoint, s => s
            .Handle<IClientCallback>((sp, caller) =>
            {
                seen.Enqueue(caller);
                return new CallerTransformer(caller);
            })));
        await host.StartAsync();
        await using var shouting = await IpcClient.ConnectAsync(endpoint, c => c.Handle<IClientCallback>(new Transformer(s => s.ToUpperInvariant())));
        await using var whispering = await IpcClient.ConnectAsync(endpoint, c => c.Handle<IClientCallback>(new Transformer(s => s.ToLowerInvariant())));

        Assert.Equal("server heard 'HELLO'", await shouting.Proxy<IClientCallback>().TransformAsync("Hello"));
        Assert.Equal("server heard 'hello'", await whispering.Proxy<IClientCallback>().TransformAsync("Hello"));

        var connections = host.Services.GetRequiredService<IpcHostedServers>().Get().Connections;
        Assert.Equal(2, seen.Distinct().Count());
        Assert.All(seen, c => Assert.Contains(c, connections));
        await host.StopAsync();
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

    /// <summary>A scoped service that tells <see cref="DeferredWork"/> when the call's scope is disposed.</summary>
    private sealed class ScopeProbe(DeferredWork work) : IDisposable
    {
        public void Dispose() => work.ScopeEnded.TrySetResult();
    }

    /// <summary>Work a handler queued, run later by the test on a pool thread.</summary>
    private sealed class DeferredWork
    {
        private readonly ConcurrentQueue<Action> _work = new();
        public TaskCompletionSource ScopeEnded { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public void Enqueue(Action action) => _work.Enqueue(action);

        public Task RunAllAsync() => Task.Run(() =>
        {
            while (_work.TryDequeue(out var action)) action();
        });
    }

    /// <summary>An ITicks that does not publish now: it queues the publish through <paramref name="ticks"/> for later.</summary>
    private sealed class DeferredTicks(ITicks ticks, DeferredWork work) : ITicks
    {
        public void Tick(Tick tick) => work.Enqueue(() => ticks.Tick(tick));
        public Task Reset(string reason) => Task.CompletedTask;
    }

    /// <summary>
    /// Publishes a tick as soon as it runs (nobody subscribed yet: nothing is sent, but a publisher that is not working
    /// would throw), then one per number the test writes, then 99 when the host stops it.
    /// </summary>
    private sealed class TickingWorker(ITicks ticks) : BackgroundService
    {
        public TaskCompletionSource<Exception?> FirstPublish { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public System.Threading.Channels.Channel<int> Publish { get; } = System.Threading.Channels.Channel.CreateUnbounded<int>();
        public Exception? LastPublish { get; private set; }

        protected override async Task ExecuteAsync(CancellationToken stoppingToken)
        {
            FirstPublish.TrySetResult(Try(() => ticks.Tick(new Tick(0, "start"))));
            try
            {
                await foreach (var sequence in Publish.Reader.ReadAllAsync(stoppingToken)) ticks.Tick(new Tick(sequence, "worker"));
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                LastPublish = Try(() => ticks.Tick(new Tick(99, "stopping")));
            }
        }

        private static Exception? Try(Action publish)
        {
            try
            {
                publish();
                return null;
            }
            catch (Exception e)
            {
                return e;
            }
        }
    }

    /// <summary>Ticks in arrival order.</summary>
    private sealed class TickQueue : ITicks
    {
        private readonly System.Threading.Channels.Channel<int> _ticks = System.Threading.Channels.Channel.CreateUnbounded<int>();
        public void Tick(Tick tick) => _ticks.Writer.TryWrite(tick.Sequence);
        public Task Reset(string reason) => Task.CompletedTask;
        public async Task<int> NextAsync() => await _ticks.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30));
    }
}
