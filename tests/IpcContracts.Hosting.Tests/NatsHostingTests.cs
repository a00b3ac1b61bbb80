using System.Collections.Concurrent;
using IpcContracts.Nats;
using IpcContracts.TestContracts;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace IpcContracts.Hosting.Tests;

/// <summary>The Generic Host integration over a NATS broker: nats:// endpoints work like any other once the transport is registered.</summary>
public sealed class NatsHostingTests
{
    [NatsHostingFact]
    public async Task A_hosted_server_and_a_hosted_client_talk_over_nats_with_proxies_and_publishers_from_DI()
    {
        NatsTransport.Register(); // once per process, before the host starts (the options validator resolves the scheme)
        var endpoint = $"{Environment.GetEnvironmentVariable("IPC_NATS_URL")!.TrimEnd('/')}/h{Guid.NewGuid():N}";
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddIpcContracts()
            .AddServer(endpoint, s => s.Handle<ICalculator>(_ => new Calculator()).AddPublisher<ITicks>())
            .AddClient("calc", endpoint, c => c.AddProxy<ICalculator>());
        using var host = builder.Build();
        await host.StartAsync();

        Assert.Equal(9, await host.Services.GetRequiredService<ICalculator>().AddAsync(4, 5));
        var client = host.Services.GetRequiredService<IpcHostedClients>().Get("calc");
        var ticks = new BlockingCollection<Tick>();
        using var subscription = client.Subscribe<ITicks>(new Sink(ticks));
        await (await client.GetConnectionAsync()).PingAsync(); // on NATS: the broker has the subscription
        host.Services.GetRequiredService<ITicks>().Tick(new Tick(1, "nats"));

        Assert.True(ticks.TryTake(out var tick, TimeSpan.FromSeconds(30)));
        Assert.Equal("nats", tick.Source);
        await host.StopAsync();
    }

    private sealed class Sink(BlockingCollection<Tick> ticks) : ITicks
    {
        public void Tick(Tick tick) => ticks.Add(tick);

        public Task Reset(string reason) => Task.CompletedTask;
    }
}

/// <summary>Needs a NATS server (IPC_NATS_URL, started by .ci/run); skipped without one unless IPC_NATS_REQUIRED=1.</summary>
public sealed class NatsHostingFactAttribute : FactAttribute
{
    public NatsHostingFactAttribute()
    {
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable("IPC_NATS_URL")) && Environment.GetEnvironmentVariable("IPC_NATS_REQUIRED") != "1")
            Skip = "needs a NATS server: set IPC_NATS_URL (e.g. nats://127.0.0.1:4222; .ci/run starts one)";
    }
}
