using IpcContracts.Nats;
using IpcContracts.TestContracts;
using IpcContracts.Tests.Support;

namespace IpcContracts.Tests.Nats;

/// <summary>
/// A subscriber's NATS connection hands the core at most <see cref="NatsBrokerConnection.EventReadAhead"/> bytes of events
/// beyond what its subscribers have finished with; the rest waits at the broker and in TCP (docs/semantics.md, "Over a
/// broker", 4). Subscribers that finish nothing for <see cref="NatsBrokerConnection.EventReadAheadStall"/> (or stay behind for
/// <see cref="NatsBrokerConnection.EventReadAheadMaxWait"/>) lift the bound, and the process's own overflow policy applies as
/// on every transport.
/// </summary>
public sealed class NatsEventReadAheadTests
{
    private const int Events = 20_000;

    /// <summary>About 250 bytes per event: 20,000 of them are about 5 MB, five times the read-ahead.</summary>
    private static readonly string Padding = new('p', 200);

    /// <summary>Counts ticks in order; the first one waits until the test opens the gate.</summary>
    private sealed class GatedTicks : ITicks
    {
        private readonly Lock _lock = new();
        public ManualResetEventSlim Gate { get; } = new(false);
        public TaskCompletionSource FirstArrived { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public TaskCompletionSource AllArrived { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private List<int> Sequences { get; } = [];

        public int[] Snapshot()
        {
            lock (_lock) return [.. Sequences];
        }

        public void Tick(Tick tick)
        {
            int count;
            lock (_lock)
            {
                Sequences.Add(tick.Sequence);
                count = Sequences.Count;
            }
            if (count == 1)
            {
                FirstArrived.TrySetResult();
                // Bounded: a test that fails elsewhere must not leave the event loop blocked for good.
                Gate.Wait(TimeSpan.FromSeconds(60));
            }
            if (count == Events) AllArrived.TrySetResult();
        }

        public Task Reset(string reason) => Task.CompletedTask;
    }

    [NatsFact]
    public async Task A_subscriber_that_is_behind_holds_at_most_the_read_ahead_in_its_process_and_then_gets_every_event_once_in_order()
    {
        var endpoint = NatsBroker.NewEndpoint();
        var ticks = new GatedTicks();
        try
        {
            await using var subscriber = await IpcClient.ConnectAsync(endpoint);
            using var subscription = subscriber.Subscribe<ITicks>(ticks);
            await subscriber.Connection.PingAsync(); // the broker has the subscription
            var transport = Assert.IsType<NatsBrokerConnection>(subscriber.Connection.Transport);
            // The stuck subscriber would lift the bound 250 ms into the wait (EventReadAheadStall), and a CI machine running
            // other tests looked later than that once (5.4 MB in the core): here the bound must hold until the gate opens.
            transport.ReadAheadStall = transport.ReadAheadMaxWait = TimeSpan.FromMinutes(2);
            await using var publisher = await IpcClient.ConnectAsync(endpoint);
            var ticksOut = publisher.Publisher<ITicks>();

            for (var i = 1; i <= Events; i++) ticksOut.Tick(new Tick(i, Padding));
            await publisher.Connection.PingAsync(); // every event is at the broker
            await ticks.FirstArrived.Task.WaitAsync(TimeSpan.FromSeconds(20));
            // The subscriber is stuck on the first event: the reader fills the core up to the bound, then waits.
            await Eventually.TrueAsync(() => transport.ReadAheadWaits > 0, timeoutMs: 20_000);
            var bound = NatsBrokerConnection.EventReadAhead + NatsBrokerConnection.MaxEventBatch;
            Assert.InRange(transport.EventBytesInCore, NatsBrokerConnection.EventReadAhead, bound);
            Assert.InRange(subscriber.Connection.ReceivedEventBytesQueued, 1, bound);

            ticks.Gate.Set();
            await ticks.AllArrived.Task.WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(Enumerable.Range(1, Events), ticks.Snapshot());
            // Every run handed over was given back: the account is square, so the next burst has the whole read-ahead again.
            await Eventually.TrueAsync(() => transport.EventBytesInCore == 0, timeoutMs: 20_000);
            Assert.Equal(0, subscriber.Connection.ReceivedEventsDropped);
        }
        finally
        {
            ticks.Gate.Set();
        }
    }

    [NatsFact]
    public async Task A_subscriber_stuck_past_the_wait_lifts_the_read_ahead_and_its_own_overflow_policy_applies()
    {
        var endpoint = NatsBroker.NewEndpoint();
        var ticks = new GatedTicks();
        try
        {
            // The policy's bound (Disconnect past 2 MiB) is above the read-ahead: only a lifted read-ahead lets the queue reach it.
            var options = new IpcOptions { Reconnect = { Enabled = false }, Events = { MaxQueuedBytes = 2 * NatsBrokerConnection.EventReadAhead } };
            await using var subscriber = await IpcClient.ConnectAsync(endpoint, options: options);
            using var subscription = subscriber.Subscribe<ITicks>(ticks);
            await subscriber.Connection.PingAsync();
            var connection = subscriber.Connection;
            await using var publisher = await IpcClient.ConnectAsync(endpoint);
            var ticksOut = publisher.Publisher<ITicks>();

            for (var i = 1; i <= Events; i++) ticksOut.Tick(new Tick(i, Padding));
            await publisher.Connection.PingAsync();

            // Still stuck on the first event after the wait: the connection ends by the policy, naming it, not by a hang.
            var reason = await connection.Completion.WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Contains("MaxQueuedBytes", reason.Message);
            Assert.Equal(DisconnectReason.Stalled, reason.Reason);
            Assert.Single(ticks.Snapshot());
        }
        finally
        {
            ticks.Gate.Set();
        }
    }
}
