using System.Collections.Concurrent;
using IpcContracts.TestContracts;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace IpcContracts.Hosting.Tests;

/// <summary>The Generic Host integration: servers and clients from DI, scoped handlers, validation, drain on shutdown.</summary>
public sealed class HostingTests
{
    private static IHost BuildHost(LogRecorder logs, Action<IpcContractsBuilder> configure, Action<IServiceCollection>? services = null)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(logs);
        builder.Logging.SetMinimumLevel(LogLevel.Debug);
        builder.Services.AddSingleton<CallLog>();
        services?.Invoke(builder.Services);
        configure(builder.Services.AddIpcContracts());
        return builder.Build();
    }

    [Fact]
    public async Task A_handler_is_resolved_from_a_new_scope_once_per_call_and_the_scope_ends_with_the_call()
    {
        var logs = new LogRecorder();
        var endpoint = Endpoints.InProc();
        using var host = BuildHost(logs, ipc => ipc.AddServer(endpoint, s => s.Handle<ICalculator, ScopedCalculator>()),
            services => services.AddScoped<CallScope>());
        await host.StartAsync();
        await using var client = await IpcClient.ConnectAsync(endpoint);
        var calculator = client.Proxy<ICalculator>();

        Assert.Equal(3, await calculator.AddAsync(1, 2));
        Assert.Equal(7, await calculator.AddAsync(3, 4));
        Assert.Equal(11, await calculator.IncrementAsync(10));

        var calls = host.Services.GetRequiredService<CallLog>();
        Assert.Equal(3, calls.Handlers.Count);                     // one handler instance per call
        Assert.Equal(3, calls.Handlers.Distinct().Count());
        Assert.Equal(3, calls.Scopes.Distinct().Count());          // each with its own scope ...
        Assert.All(calls.Handlers, h => Assert.Same(h.Scope, h.ScopeSeenByHandler)); // ... shared by its dependencies
        Assert.Equal(3, calls.DisposedScopes.Count);               // and the scope is disposed when the call ends
        await host.StopAsync();
    }

    [Fact]
    public async Task Invalid_options_fail_the_host_start_with_the_reason()
    {
        var logs = new LogRecorder();
        using var host = BuildHost(logs, ipc => ipc
            .AddServer("bad", "bogus://x", s => s.Handle<ICalculator>(_ => new Calculator()))
            .AddClient("empty", " ", c => c.Configure(o => o.Ipc.MaxPayloadLength = 0)));

        var e = await Assert.ThrowsAnyAsync<Exception>(() => host.StartAsync());

        var failures = e is OptionsValidationException v ? v.Failures : (e as AggregateException)!.InnerExceptions.OfType<OptionsValidationException>().SelectMany(x => x.Failures);
        Assert.Contains(failures, f => f.Contains("IPC server 'bad'") && f.Contains("bogus"));
        Assert.Contains(failures, f => f.Contains("IPC client 'empty'") && f.Contains("Endpoint is not set"));
        Assert.Contains(failures, f => f.Contains("IPC client 'empty'") && f.Contains("MaxPayloadLength"));
    }

    [Fact]
    public async Task Stopping_the_host_refuses_new_calls_and_lets_calls_in_flight_finish()
    {
        var logs = new LogRecorder();
        var endpoint = Endpoints.InProc();
        using var host = BuildHost(logs, ipc => ipc.AddServer(endpoint, s => s.Handle<ICalculator, ScopedCalculator>()),
            services => services.AddScoped<CallScope>());
        await host.StartAsync();
        await using var client = await IpcClient.ConnectAsync(endpoint);
        var calculator = client.Proxy<ICalculator>();
        var gate = host.Services.GetRequiredService<CallLog>();

        var inFlight = calculator.DelayAsync(123, CancellationToken.None); // waits on the gate, not on a timer
        await gate.Started.Task.WaitAsync(TimeSpan.FromSeconds(30));
        var stopping = host.StopAsync();
        await logs.WaitFor(e => e.Id.Name == "ServerDraining");

        await Assert.ThrowsAsync<IpcOverloadedException>(() => calculator.AddAsync(1, 1)); // refused while draining
        Assert.False(stopping.IsCompleted);
        gate.Release.TrySetResult();

        Assert.Equal(123, await inFlight);                       // the call in flight got its answer
        await stopping;
        Assert.Contains(logs.Entries, e => e.Id.Name == "ServerStopped");
        Assert.DoesNotContain(logs.Entries, e => e.Id.Name == "DrainIncomplete");
    }

    [Fact]
    public async Task The_drain_is_bounded_by_DrainTimeout()
    {
        var logs = new LogRecorder();
        var endpoint = Endpoints.InProc();
        using var host = BuildHost(logs, ipc => ipc.AddServer(endpoint, s => s
                .Handle<ICalculator, ScopedCalculator>()
                .Configure(o => o.DrainTimeout = TimeSpan.Zero)),
            services => services.AddScoped<CallScope>());
        await host.StartAsync();
        await using var client = await IpcClient.ConnectAsync(endpoint);
        var gate = host.Services.GetRequiredService<CallLog>();

        var inFlight = client.Proxy<ICalculator>().DelayAsync(1, CancellationToken.None); // never released
        await gate.Started.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await host.StopAsync();

        await Assert.ThrowsAsync<ChannelFaultedException>(() => inFlight);
        await logs.WaitFor(e => e.Id.Name == "DrainIncomplete");
    }

    [Fact]
    public async Task Clients_proxies_and_publishers_come_from_DI()
    {
        var logs = new LogRecorder();
        var endpoint = Endpoints.InProc();
        using var host = BuildHost(logs, ipc => ipc
            .AddServer(endpoint, s => s.Handle<ICalculator>(_ => new Calculator()).AddPublisher<ITicks>())
            .AddClient("calc", endpoint, c => c.AddProxy<ICalculator>()));
        await host.StartAsync();

        var calculator = host.Services.GetRequiredService<ICalculator>(); // connects on first call
        Assert.Equal(9, await calculator.AddAsync(4, 5));

        var client = host.Services.GetRequiredService<IpcHostedClients>().Get("calc");
        var ticks = new BlockingCollection<Tick>();
        using var subscription = client.Subscribe<ITicks>(new TickSink(ticks));
        await (await client.GetConnectionAsync()).PingAsync(); // the Subscribe frame is ahead of the Pong
        host.Services.GetRequiredService<ITicks>().Tick(new Tick(1, "di"));
        Assert.True(ticks.TryTake(out var tick, TimeSpan.FromSeconds(30)));
        Assert.Equal("di", tick.Source);

        Assert.Contains(logs.Entries, e => e.Id.Name == "ServerStarted" && e.Message.Contains(endpoint));
        Assert.Contains(logs.Entries, e => e.Id.Name == "ClientConnected");
        Assert.Contains(logs.Entries, e => e.Id.Name == "ConnectionOpened" && e.Category == "IpcContracts");
        await host.StopAsync();
    }

    /// <summary>
    /// A proxy from DI forwards argument streams, with progress and without, on its first call (which connects) and on
    /// later ones: the hosted client's own IOutboundChannel members, not only the connection's.
    /// </summary>
    [Fact]
    public async Task A_DI_proxy_sends_argument_streams_with_and_without_progress()
    {
        var logs = new LogRecorder();
        var endpoint = Endpoints.InProc();
        using var host = BuildHost(logs, ipc => ipc
            .AddServer(endpoint, s => s.Handle<IStreams>(_ => new StreamService()))
            .AddClient("streams", endpoint, c => c.AddProxy<IStreams>()));
        await host.StartAsync();
        var streams = host.Services.GetRequiredService<IStreams>();

        var progress = new CollectingProgress<int>();
        Assert.Equal(5_050L, await streams.SumWithProgressAsync(TestSources.Count(100), progress)); // connects on this call
        Assert.Equal(50_005_000L, await streams.SumWithProgressAsync(TestSources.Count(10_000), progress));
        Assert.Equal(500_500L, await streams.SumAsync(TestSources.Count(1_000)));
        for (var waited = 0; progress.Reports.LastOrDefault() != 10_000; waited += 10) // the last report may follow the reply
        {
            Assert.True(waited < 30_000, "the last progress report never came");
            await Task.Delay(10);
        }
        Assert.Equal(100, progress.Reports.First());
        await host.StopAsync();
    }

    [Fact]
    public async Task A_hosted_client_reconnects_by_IpcClients_own_policy_keeping_its_proxies_and_subscriptions()
    {
        var logs = new LogRecorder();
        var endpoint = Endpoints.InProc();
        var server = await IpcServer.StartAsync(endpoint, s => s.Handle<ICalculator>(new Calculator()));
        using var host = BuildHost(logs, ipc => ipc.AddClient("calc", endpoint, c => c.AddProxy<ICalculator>()));
        await host.StartAsync();
        var client = host.Services.GetRequiredService<IpcHostedClients>().Get("calc");
        var ticks = new BlockingCollection<Tick>();
        using var subscription = client.Subscribe<ITicks>(new TickSink(ticks)); // before connecting: in the first Hello
        var calculator = host.Services.GetRequiredService<ICalculator>();

        Assert.Equal(9, await calculator.AddAsync(4, 5)); // connects (the Hello, with the subscription, went first)
        server.Publisher<ITicks>().Tick(new Tick(1, "first"));
        Assert.True(ticks.TryTake(out var tick, TimeSpan.FromSeconds(30)));
        Assert.Equal("first", tick.Source);
        var first = await client.GetConnectionAsync();

        await server.DisposeAsync();
        await first.Completion.WaitAsync(TimeSpan.FromSeconds(30));
        await Assert.ThrowsAsync<ChannelFaultedException>(() => calculator.AddAsync(1, 1)); // disconnected: fails at once, as IpcClient
        await using var restarted = await IpcServer.StartAsync(endpoint, s => s.Handle<ICalculator>(new Calculator()));
        await logs.WaitFor(_ => logs.Entries.Count(e => e.Id.Name == "ClientConnected") == 2); // logged again on the reconnect

        Assert.NotSame(first, await client.GetConnectionAsync());
        Assert.Equal(7, await calculator.AddAsync(3, 4));              // the same injected proxy, on the new connection
        await (await client.GetConnectionAsync()).PingAsync();         // the restored subscription is ahead of the Pong
        restarted.Publisher<ITicks>().Tick(new Tick(2, "restarted"));
        Assert.True(ticks.TryTake(out tick, TimeSpan.FromSeconds(30)));
        Assert.Equal("restarted", tick.Source);
        await host.StopAsync();
    }

    [Fact]
    public async Task The_runtime_logs_handler_failures_and_subscriber_exceptions_without_payloads()
    {
        var logs = new LogRecorder();
        using var factory = LoggerFactory.Create(b => b.AddProvider(logs).SetMinimumLevel(LogLevel.Trace));
        var endpoint = Endpoints.InProc();
        var options = new IpcOptions { LoggerFactory = factory };
        await using var server = await IpcServer.StartAsync(endpoint, s => s.Handle<ICalculator>(new Calculator()), options);
        await using var client = await IpcClient.ConnectAsync(endpoint, options: new IpcOptions { LoggerFactory = factory });
        using var subscription = client.Subscribe<ITicks>(new ThrowingTicks());
        await client.Connection.PingAsync();

        await Assert.ThrowsAsync<RemoteInvocationException>(() => client.Proxy<ICalculator>().ThrowAsync("handler says no"));
        await Assert.ThrowsAsync<RemoteInvocationException>(() => client.Proxy<ICalculator>().NoResultAsync("fail"));
        server.Publisher<ITicks>().Tick(new Tick(7, "secret-source"));

        var failed = await logs.WaitFor(e => e.Id.Name == "HandlerFailed" && e.Message.Contains("ThrowAsync"));
        Assert.Equal(LogLevel.Error, failed.Level);
        Assert.IsType<InvalidOperationException>(failed.Exception);
        var subscriber = await logs.WaitFor(e => e.Id.Name == "EventSubscriberFailed");
        Assert.Equal("subscriber failed", subscriber.Exception!.Message);
        Assert.Contains(logs.Entries, e => e.Id.Name == "ConnectionOpened");
        // Arguments never appear in messages (only in the handler's own exception, at Error level).
        Assert.DoesNotContain(logs.Entries, e => e.Message.Contains("secret-source") || e.Message.Contains("\"fail\""));
    }

    private sealed class TickSink(BlockingCollection<Tick> ticks) : ITicks
    {
        public void Tick(Tick tick) => ticks.Add(tick);
        public Task Reset(string reason) => Task.CompletedTask;
    }

    private sealed class ThrowingTicks : ITicks
    {
        public void Tick(Tick tick) => throw new InvalidOperationException("subscriber failed");
        public Task Reset(string reason) => Task.CompletedTask;
    }
}

/// <summary>What the scoped handlers saw (a singleton).</summary>
public sealed class CallLog
{
    public ConcurrentQueue<ScopedCalculator> Handlers { get; } = new();
    public ConcurrentQueue<CallScope> Scopes { get; } = new();
    public ConcurrentQueue<CallScope> DisposedScopes { get; } = new();
    public TaskCompletionSource Started { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}

/// <summary>A scoped dependency: one per call.</summary>
public sealed class CallScope(CallLog log) : IDisposable
{
    public void Dispose() => log.DisposedScopes.Enqueue(this);
}

/// <summary>A handler resolved per call; records its scope and that of its dependency.</summary>
public sealed class ScopedCalculator : ICalculator
{
    private readonly Calculator _inner = new();
    private readonly CallLog _log;

    public ScopedCalculator(CallLog log, CallScope scope, IServiceProvider services)
    {
        _log = log;
        Scope = scope;
        ScopeSeenByHandler = services.GetRequiredService<CallScope>();
        log.Handlers.Enqueue(this);
        log.Scopes.Enqueue(scope);
    }

    public CallScope Scope { get; }
    public CallScope ScopeSeenByHandler { get; }

    public async Task<int> DelayAsync(int milliseconds, CancellationToken cancellationToken)
    {
        _log.Started.TrySetResult();
        await _log.Release.Task.WaitAsync(cancellationToken);
        return milliseconds;
    }

    public Task<int> GetAnswerAsync() => _inner.GetAnswerAsync();
    public Task<int> AddAsync(int a, int b, CancellationToken cancellationToken = default) => _inner.AddAsync(a, b, cancellationToken);
    public Task<string> EchoAsync(string text) => _inner.EchoAsync(text);
    public ValueTask<Totals> SumAsync(int[] values, string label, bool negate, CancellationToken cancellationToken = default) =>
        _inner.SumAsync(values, label, negate, cancellationToken);
    public Task NoResultAsync(string note) => _inner.NoResultAsync(note);
    public ValueTask<int> IncrementAsync(int value) => _inner.IncrementAsync(value);
    public Task<byte[]> EchoBytesAsync(byte[] data) => _inner.EchoBytesAsync(data);
    public Task<int> SizeOfAsync(byte[] data) => _inner.SizeOfAsync(data);
    public Task<byte[]> MakeBytesAsync(int length, int seed) => _inner.MakeBytesAsync(length, seed);
    public Task<int> WaitUntilCancelledAsync(string probe, CancellationToken cancellationToken) => _inner.WaitUntilCancelledAsync(probe, cancellationToken);
    public Task<int> ThrowAsync(string message) => _inner.ThrowAsync(message);
    public Task<string> CallBackAsync(string text) => _inner.CallBackAsync(text);
    public Task PublishTicksAsync(string source, int count) => _inner.PublishTicksAsync(source, count);
}
