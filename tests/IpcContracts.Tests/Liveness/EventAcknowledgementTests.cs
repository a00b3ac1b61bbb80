using System.Collections.Concurrent;
using System.IO.Pipelines;
using IpcContracts.Protocol;
using IpcContracts.Runtime;
using IpcContracts.TestContracts;
using IpcContracts.Tests.Support;
using IpcContracts.Transports;

namespace IpcContracts.Tests.Liveness;

/// <summary>
/// The transport seam for brokers that redeliver (TransportFeatures.EventAcknowledgements): a delivery tag in an inbound
/// event comes back to the transport only once the subscribers are done with that event.
/// </summary>
public sealed class EventAcknowledgementTests
{
    [Fact]
    public async Task A_tagged_event_is_acknowledged_only_after_its_subscriber_has_finished_and_untagged_ones_never()
    {
        var (client, peer) = await ConnectAsync(TransportFeatures.EventAcknowledgements);
        await using var _ = client;
        using var gate = new SemaphoreSlim(0);
        var handled = new ConcurrentQueue<int>();
        using var sub = client.Subscribe<ITicks>(new GatedTicks(gate, handled));
        var (ticks, tick) = TickIds();

        await peer.WriteAsync(RawPeer.Frame(FrameKind.Event, ticks, tick, 5, """{"tick":{"Sequence":1,"Source":"a"}}"""));
        await peer.WriteAsync(RawPeer.Frame(FrameKind.Event, ticks, tick, 0, """{"tick":{"Sequence":2,"Source":"untagged"}}"""));
        await peer.WriteAsync(RawPeer.Frame(FrameKind.Event, ticks, tick, 6, """{"tick":{"Sequence":3,"Source":"throws"}}"""));
        await peer.WriteAsync(RawPeer.Frame(FrameKind.Event, 0x0BADF00D, 1, 7, """{}""")); // nobody subscribes: done with at once
        await Eventually.TrueAsync(() => peer.Handled.Contains(7UL));

        Assert.Equal([7UL], peer.Handled); // tick 1 is still in its handler; tick 3 waits behind it
        gate.Release(3);
        await Eventually.TrueAsync(() => peer.Handled.Count == 3);
        Assert.Equal([7UL, 5UL, 6UL], peer.Handled); // a handler that threw is done with too (the failure is reported)
        Assert.Equal([1, 2, 3], handled);
    }

    [Fact]
    public async Task Without_the_feature_tags_are_ignored_and_nothing_is_acknowledged()
    {
        var (client, peer) = await ConnectAsync(TransportFeatures.None);
        await using var _ = client;
        var collector = new TickCollector(2);
        using var sub = client.Subscribe<ITicks>(collector);
        var (ticks, tick) = TickIds();

        await peer.WriteAsync(RawPeer.Frame(FrameKind.Event, ticks, tick, 9, """{"tick":{"Sequence":1,"Source":"a"}}"""));
        await peer.WriteAsync(RawPeer.Frame(FrameKind.Event, 0x0BADF00D, 1, 10, """{}"""));
        await peer.WriteAsync(RawPeer.Frame(FrameKind.Event, ticks, tick, 11, """{"tick":{"Sequence":2,"Source":"b"}}"""));
        await collector.Done.Task.WaitAsync(TimeSpan.FromSeconds(10)); // in order: the first two are done with by now

        Assert.Equal([1, 2], collector.Sequences);
        Assert.Empty(peer.Handled);
    }

    private static (uint Contract, uint Method) TickIds()
    {
        var ticks = ContractRegistry.Get<ITicks>();
        return (ticks.Id, ticks.Methods.Single(m => m.Name == "Tick").Id);
    }

    private static async Task<(IpcClient Client, ProbeConnection Peer)> ConnectAsync(TransportFeatures features)
    {
        var peer = new ProbeConnection(features);
        var scheme = $"ackprobe{Guid.NewGuid():N}"[..20];
        TransportRegistry.Register(new ProbeTransport(scheme, peer));
        var (ticks, tick) = TickIds();
        // A peer that publishes ITicks (fingerprint 0: not checked, as the NATS transport's broker Hello says).
        await peer.WriteAsync(RawPeer.Frame(FrameKind.Hello, json: RawPeer.Hello(
            $$"""[{"id":{{ticks}},"alias":"test.ticks","kind":2,"handled":false,"methods":[{"id":{{tick}},"name":"Tick","fp":0,"sig":""}]}]""")));
        var client = await IpcClient.ConnectAsync($"{scheme}://x", options: new IpcOptions { Reconnect = { Enabled = false }, EventHandlerException = _ => { } });
        return (client, peer);
    }

    private sealed class GatedTicks(SemaphoreSlim gate, ConcurrentQueue<int> handled) : ITicks
    {
        public void Tick(Tick tick)
        {
            gate.Wait(TimeSpan.FromSeconds(30));
            handled.Enqueue(tick.Sequence);
            if (tick.Source == "throws") throw new InvalidOperationException("handler failure");
        }

        public Task Reset(string reason) => Task.CompletedTask;
    }

    /// <summary>A connection whose peer is the test: it writes frames for the core and records the tags given back.</summary>
    private sealed class ProbeConnection(TransportFeatures features) : ITransportConnection
    {
        private readonly Pipe _toCore = new();
        private readonly Pipe _fromCore = new(new PipeOptions(pauseWriterThreshold: 0)); // never read: must never pause the core

        public ConcurrentQueue<ulong> Handled { get; } = new();
        public PipeReader Input => _toCore.Reader;
        public PipeWriter Output => _fromCore.Writer;
        public string PeerDescription => "acknowledgement probe";
        public TransportFeatures Features => features;

        public void EventHandled(ulong deliveryTag) => Handled.Enqueue(deliveryTag);

        public async Task WriteAsync(byte[] frame) => await _toCore.Writer.WriteAsync(frame);

        public async ValueTask DisposeAsync()
        {
            await _toCore.Writer.CompleteAsync();
            await _fromCore.Reader.CompleteAsync();
        }
    }

    private sealed class ProbeTransport(string scheme, ProbeConnection connection) : IIpcTransport
    {
        public string Scheme => scheme;

        public ValueTask<IIpcListener> ListenAsync(IpcEndpoint endpoint, IpcOptions options, CancellationToken cancellationToken) =>
            throw new NotSupportedException();

        public ValueTask<ITransportConnection> ConnectAsync(IpcEndpoint endpoint, IpcOptions options, CancellationToken cancellationToken) =>
            new(connection);
    }
}
