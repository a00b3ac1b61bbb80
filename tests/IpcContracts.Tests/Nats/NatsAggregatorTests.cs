using IpcContracts.TestContracts;
using IpcContracts.Tests.Support;

namespace IpcContracts.Tests.Nats;

/// <summary>
/// The aggregator (IEventAggregator, Bus frames) over a NATS broker, across real processes: the test host's "aggregator"
/// role answers GetPrice and prints every PriceChanged it receives.
/// </summary>
public sealed class NatsAggregatorTests
{
    [NatsFact]
    public async Task Aggregator_requests_and_messages_cross_the_broker_and_a_wrong_response_type_or_an_unserved_type_fails_with_a_mismatch()
    {
        var endpoint = NatsBroker.NewEndpoint();
        await using var host = await HostProcess.StartAggregatorAsync(endpoint);
        var options = new IpcContractsOptions().Connect(endpoint);
        options.Ipc.DefaultCallTimeout = Timeout.InfiniteTimeSpan; // an answer must come from the broker path, not a deadline
        await using var bus = new EventAggregator(options);
        var seen = new List<string>();
        var gotHostMessage = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        // The first registration, so it is in this aggregator's Hello: subscribed at the broker once StartAsync returns.
        using var subscription = bus.Subscribe<PriceChanged>(m =>
        {
            lock (seen) seen.Add(m.Sku);
            if (m.Sku == "D-4") gotHostMessage.TrySetResult();
        });
        await bus.StartAsync();

        // Request: served by the other process (queue group on P.bus.req.T).
        Assert.Equal(new Price("B-2", 7m), await bus.RequestAsync<GetPrice, Price>(new GetPrice("B-2")).WaitAsync(TimeSpan.FromSeconds(10)));
        await host.WaitForLineAsync("GETPRICE B-2");

        // Events both ways, each delivered once: this process's own message reaches its subscriber locally and is not
        // echoed back by the broker (it would arrive before D-4, which the host publishes only after it saw C-3).
        await bus.PublishAsync(new PriceChanged("C-3", 1m));
        await host.WaitForLineAsync("PRICE C-3");
        host.SendLine("publish D-4");
        await gotHostMessage.Task.WaitAsync(TimeSpan.FromSeconds(10));
        lock (seen) Assert.Equal(["C-3", "D-4"], seen);

        // Another response type than the host's handler (bus fingerprint): refused before anything is sent, from the host's
        // busHandles entry that the broker's Hello carries (P.bus.manifest.T).
        var wrongShape = await Assert.ThrowsAsync<ContractMismatchException>(
            () => bus.RequestAsync<GetPrice, PriceChanged>(new GetPrice("X-9")).WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal("$bus", wrongShape.Contract);
        Assert.Contains("another response type", wrongShape.Message, StringComparison.Ordinal);

        // A type nobody answers: NATS no responders, at once.
        var unserved = await Assert.ThrowsAsync<ContractMismatchException>(
            () => bus.RequestAsync<PriceChanged, Price>(new PriceChanged("Y-0", 1m)).WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal("$bus", unserved.Contract);
        Assert.Contains("no responders", unserved.Message, StringComparison.Ordinal);

        // The connection is still good, and the refused request never reached the handler.
        Assert.Equal(new Price("E-5", 7m), await bus.RequestAsync<GetPrice, Price>(new GetPrice("E-5")).WaitAsync(TimeSpan.FromSeconds(10)));
        await host.WaitForLineAsync("GETPRICE E-5");
        Assert.DoesNotContain(host.Lines, l => l.Contains("X-9", StringComparison.Ordinal));
    }
}
