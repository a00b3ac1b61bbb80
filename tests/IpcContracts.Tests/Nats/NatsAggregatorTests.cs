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

    /// <summary>
    /// Registrations made after an aggregator connected to nats:// take effect as on every transport: a request handler added
    /// to the other process's running aggregator is served (its process subscribes to P.bus.req.T then), and a subscription
    /// added to this running aggregator receives the other process's messages; a handler removed stops being served. Each becomes live at the broker one round
    /// trip after it is made, so the first request or message is retried until then (bounded).
    /// </summary>
    [NatsFact]
    public async Task A_request_handler_and_a_subscription_registered_after_the_aggregator_connected_are_served_over_the_broker()
    {
        var endpoint = NatsBroker.NewEndpoint();
        await using var host = await HostProcess.StartAggregatorAsync(endpoint);
        var options = new IpcContractsOptions().Connect(endpoint);
        options.Ipc.DefaultCallTimeout = Timeout.InfiniteTimeSpan; // an answer must come from the broker path, not a deadline
        await using var bus = new EventAggregator(options);
        await bus.StartAsync();
        var before = await Assert.ThrowsAsync<ContractMismatchException>(
            () => bus.RequestAsync<PriceChanged, Price>(new PriceChanged("A-1", 1m)).WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Contains("no responders", before.Message, StringComparison.Ordinal); // nothing answers it yet

        host.SendLine("handle-late");
        await host.WaitForLineAsync("LATE HANDLER");
        Price? answer = null;
        await Eventually.TrueAsync(async () =>
        {
            try
            {
                answer = await bus.RequestAsync<PriceChanged, Price>(new PriceChanged("L-1", 1m)).WaitAsync(TimeSpan.FromSeconds(10));
                return true;
            }
            catch (ContractMismatchException e) when (e.Message.Contains("no responders", StringComparison.Ordinal))
            {
                return false; // the handler's subscription is not at the broker yet
            }
        });
        Assert.Equal(new Price("L-1", 9m), answer);
        await host.WaitForLineAsync("LATEPRICE L-1");

        // Removed again: its process leaves the queue group, and the type is unserved once more.
        host.SendLine("unhandle-late");
        await host.WaitForLineAsync("LATE HANDLER REMOVED");
        await Eventually.TrueAsync(async () =>
        {
            try
            {
                await bus.RequestAsync<PriceChanged, Price>(new PriceChanged("R-1", 1m)).WaitAsync(TimeSpan.FromSeconds(10));
                return false; // still subscribed at the broker
            }
            catch (ContractMismatchException e) when (e.Message.Contains("no responders", StringComparison.Ordinal))
            {
                return true;
            }
        });

        var received = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var late = bus.Subscribe<PriceChanged>(m => received.TrySetResult(m.Sku));
        await Eventually.TrueAsync(async () =>
        {
            host.SendLine("publish M-1");
            await Task.WhenAny(received.Task, Task.Delay(200));
            return received.Task.IsCompleted;
        });
        Assert.Equal("M-1", await received.Task);
    }
}
