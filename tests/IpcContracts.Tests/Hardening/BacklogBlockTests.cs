using IpcContracts.Connections;
using IpcContracts.Protocol;
using IpcContracts.TestContracts;
using IpcContracts.Tests.Support;

namespace IpcContracts.Tests.Hardening;

/// <summary>
/// Event backlogs live in native memory (<see cref="BacklogBlock"/>), which the collector never frees: a connection that
/// closes with a backlog on either side must give every block back. Alone in its collection, since the count is
/// process-wide.
/// </summary>
[Collection(MeasuresMemory.Name)]
public sealed class BacklogBlockTests
{
    /// <summary>
    /// The subscriber's side: events queued behind a subscriber that is still busy when the connection closes are
    /// delivered (or dropped) and their blocks returned, and so is the block the reader was copying into when its loop
    /// ended (it held a reference of its own).
    /// </summary>
    [Theory]
    [InlineData("pipe")]
    [InlineData("tcp")]
    [InlineData("shm")]
    public async Task A_connection_closed_with_events_queued_for_a_busy_subscriber_gives_every_block_back(string transport)
    {
        var before = BacklogBlock.Outstanding;
        using var release = new ManualResetEventSlim();
        var held = new HeldNotes(release);
        // The client publishes and the server subscribes, and the wait below runs on a pool thread (after Eventually's
        // delay). A first version awaited client.SubscribeAsync and then blocked on the subscriber: on shm that await
        // resumes on the client's reader thread (IpcOptions.ContinuationsOnReaderThread), so the test's own wait held the
        // very reader that had to deliver the event.
        await using (var server = await IpcServer.StartAsync(Endpoints.For(transport), _ => { }))
        {
            using var subscription = server.Subscribe<INotes>(held);
            await using var client = await IpcClient.ConnectAsync(server.Endpoint.ToString());
            await Eventually.TrueAsync(() => client.Connection.PeerSubscribed(new SubscriptionKey(false, IpcContracts.Runtime.ContractRegistry.Get<INotes>().Id)));
            var publisher = client.Publisher<INotes>();
            publisher.Note("first");
            Assert.True(held.Entered.Wait(TimeSpan.FromSeconds(10)), "The subscriber never got the first event.");
            for (var i = 1; i <= 20_000; i++) publisher.Note(new string('p', 100));
            // Queued on the subscriber's side (pipe, tcp), or on the publisher's behind a full ring (shm: the held
            // subscriber holds the reader): either way in blocks now.
            await Eventually.TrueAsync(() => BacklogBlock.Outstanding > before);
        }
        release.Set();
        await Eventually.TrueAsync(() => BacklogBlock.Outstanding == before, 30_000);
    }

    /// <summary>
    /// The publisher's side: frames coalesced behind a peer that never reads are released when that peer goes away,
    /// whether the queue fails on a write or completes.
    /// </summary>
    [Theory]
    [InlineData("pipe")]
    [InlineData("tcp")]
    [InlineData("shm")]
    public async Task A_connection_closed_with_events_queued_for_a_peer_that_never_reads_gives_every_block_back(string transport)
    {
        var before = BacklogBlock.Outstanding;
        await using (var server = await IpcServer.StartAsync(Endpoints.For(transport), _ => { }))
        {
            await using var raw = await RawPeer.ConnectAsync(server.Endpoint.ToString());
            await raw.SendAsync(RawPeer.Frame(FrameKind.Hello, json: RawPeer.Hello(subscribes: $"[{ContractIds.Ticks}]")));
            await raw.ExpectAsync(FrameKind.Hello);
            await Eventually.TrueAsync(() => server.Connections.Any(c => c.PeerSubscribed(new SubscriptionKey(false, ContractIds.Ticks))));
            var publisher = server.Publisher<ITicks>();
            for (var i = 1; i <= 50_000; i++) publisher.Tick(new Tick(i, new string('p', 100)));
            await Eventually.TrueAsync(() => BacklogBlock.Outstanding > before);
        }
        await Eventually.TrueAsync(() => BacklogBlock.Outstanding == before, 30_000);
    }

    /// <summary>Holds the first event until released (bounded).</summary>
    private sealed class HeldNotes(ManualResetEventSlim release) : INotes
    {
        private int _first = 1;

        public ManualResetEventSlim Entered { get; } = new();

        public void Note(string text)
        {
            if (Interlocked.Exchange(ref _first, 0) == 0) return;
            Entered.Set();
            release.Wait(TimeSpan.FromSeconds(30));
        }
    }
}
