using IpcContracts.Protocol;
using IpcContracts.Runtime;
using IpcContracts.TestContracts;
using IpcContracts.Tests.Conformance;
using IpcContracts.Tests.Support;

namespace IpcContracts.Tests.Liveness;

/// <summary>
/// When local subscribers fall behind under <see cref="EventOverflowPolicy.Wait"/>, the read loop pauses. It must pause
/// at the frame that filled the queue, not at the end of whatever the transport's read buffer held: before, every frame
/// already read (up to a whole read buffer, 64 KiB on sockets) was still handled, so a paused reader took in a read
/// buffer of events beyond <see cref="EventDeliveryOptions.MaxQueuedBytes"/> and answered frames behind them.
/// </summary>
public sealed class ReadPauseTests
{
    [Fact]
    public async Task A_paused_reader_leaves_the_frames_behind_the_one_that_filled_the_queue_until_the_subscriber_catches_up()
    {
        var options = new IpcOptions
        {
            Events = { MaxQueuedBytes = 1024, Overflow = EventOverflowPolicy.Wait, WaitTimeout = TimeSpan.FromSeconds(60) },
            // Shorter than the pause below: frames left unread by a pause are not a peer stopped inside a frame.
            PartialFrameTimeout = TimeSpan.FromSeconds(1),
        };
        var endpoint = Endpoints.InProc();
        await using var server = await IpcServer.StartAsync(endpoint, options: options);
        using var release = new ManualResetEventSlim();
        using var subscription = server.Subscribe<ITicks>(new GatedTicks(release));
        await using var peer = await RawPeer.ConnectAsync(endpoint);
        await peer.SendAsync(RawPeer.Frame(FrameKind.Hello, json: RawPeer.Hello()));
        await peer.ExpectAsync(FrameKind.Hello);

        var ticks = ContractRegistry.Get<ITicks>();
        var tick = ticks.Methods.Single(m => m.Name == "Tick").Id;
        // One write (the in-memory transport hands it to the reader whole): 20 ticks of ~250 bytes, far past the 1 KiB
        // bound, then a Ping.
        var bytes = Enumerable.Range(1, 20)
            .SelectMany(i => RawPeer.Frame(FrameKind.Event, ticks.Id, tick, 0, $$$"""{"tick":{"Sequence":{{{i}}},"Source":"{{{new string('p', 200)}}}"}}"""))
            .Concat(RawPeer.Frame(FrameKind.Ping, correlation: 77))
            .ToArray();
        try
        {
            await peer.SendAsync(bytes);
            // The first tick holds the subscriber, the queue fills and reading pauses before the Ping: no Pong meanwhile.
            await Assert.ThrowsAsync<TimeoutException>(() => peer.ReceiveAsync(TimeSpan.FromSeconds(2)));
        }
        finally
        {
            release.Set();
        }

        var pong = await peer.ExpectAsync(FrameKind.Pong);
        Assert.Equal(77UL, pong.Header.CorrelationId);
        Assert.True(server.Connections.Single().IsConnected);
    }
}
