using IpcContracts.TestContracts;
using IpcContracts.Tests.Support;

namespace IpcContracts.Tests.Nats;

/// <summary>
/// Deadlines over a NATS broker: the transport has no deadline path of its own (the core arms and enforces every
/// deadline, section 9 of docs/protocol.md), so the precedence of Conformance/TimeoutConformanceTests holds there too.
/// Server and client in this process, each with its own broker connection, so the tests can release a handler.
/// </summary>
public sealed class NatsTimeoutTests
{
    private static async Task<(IpcServer Server, IpcClient Client, ITimeouts Timeouts)> StartAsync(IpcOptions? clientOptions = null)
    {
        var endpoint = NatsBroker.NewEndpoint();
        var server = await IpcServer.StartAsync(endpoint, b => b.Handle<ITimeouts>(new TimeoutService()));
        var client = await IpcClient.ConnectAsync(endpoint, options: clientOptions);
        return (server, client, client.Proxy<ITimeouts>());
    }

    [NatsFact]
    public async Task A_Timeout_Infinite_method_outlives_a_short_DefaultCallTimeout_and_a_scope_shortens_it()
    {
        var (server, client, timeouts) = await StartAsync(new IpcOptions { DefaultCallTimeout = TimeSpan.FromMilliseconds(500) });
        await using var _ = server;
        await using var __ = client;
        string poll = Guid.NewGuid().ToString("N"), other = Guid.NewGuid().ToString("N"), scoped = Guid.NewGuid().ToString("N");

        var longPoll = timeouts.LongPollAsync(poll);
        var e = await Assert.ThrowsAsync<TimeoutException>(() => timeouts.DefaultAsync(other));
        Assert.Contains("IpcOptions.DefaultCallTimeout", e.Message);
        Assert.False(longPoll.IsCompleted);
        TimeoutService.Release(poll, "news");
        Assert.Equal("news", await longPoll.WaitAsync(TimeSpan.FromSeconds(60)));

        Task<string> inScope;
        using (IpcCall.WithTimeout(TimeSpan.FromMilliseconds(500)))
            inScope = timeouts.LongPollAsync(scoped);
        var scopedError = await Assert.ThrowsAsync<TimeoutException>(() => inScope);
        Assert.Contains("IpcCall.WithTimeout", scopedError.Message);
        await Eventually.TrueAsync(() => TimeoutService.WasCancelled(scoped)); // the Cancel crossed the broker
    }

    [NatsFact]
    public async Task A_method_with_a_short_timeout_times_out_while_a_call_under_the_default_keeps_waiting()
    {
        var (server, client, timeouts) = await StartAsync();
        await using var _ = server;
        await using var __ = client;
        string waiting = Guid.NewGuid().ToString("N"), short_ = Guid.NewGuid().ToString("N");

        var underDefault = timeouts.DefaultAsync(waiting);
        var e = await Assert.ThrowsAsync<TimeoutException>(() => timeouts.ShortAsync(short_));

        Assert.Contains("[ContractMethod(TimeoutMilliseconds)]", e.Message);
        Assert.False(underDefault.IsCompleted);
        TimeoutService.Release(waiting, "answer");
        Assert.Equal("answer", await underDefault);
    }
}
