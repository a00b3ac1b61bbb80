using System.Buffers;
using System.Text;
using IpcContracts.Nats;
using IpcContracts.Runtime;
using IpcContracts.TestContracts;
using IpcContracts.Tests.Support;
using IpcContracts.Transports;
using NATS.Client.Core;

namespace IpcContracts.Tests.Nats;

/// <summary>
/// Events of one method written back to back go out as one NATS message holding the frames one after another, and a
/// subscriber takes such a message as those events in order (docs/protocol.md section 9, "Event"). The scan that forms a
/// run and the check that accepts one are tested on bytes; the receiving side across a broker with a raw NATS publisher,
/// so the messages are exactly the ones under test.
/// </summary>
public sealed class NatsEventBatchTests
{
    private static readonly ContractDescriptor<ITicks> Ticks = ContractRegistry.Get<ITicks>();
    private static readonly MethodDescriptor TickMethod = Ticks.Methods.Single(m => m.Name == "Tick");
    private static readonly MethodDescriptor ResetMethod = Ticks.Methods.Single(m => m.Name == "Reset");

    private static byte[] TickFrame(int sequence, ushort flags = 0) =>
        WireFrame.Build(WireFrame.Event, flags, Ticks.Id, TickMethod.Id, 0, Encoding.UTF8.GetBytes($$$"""{"tick":{"Sequence":{{{sequence}}},"Source":"batch"}}"""));

    private static byte[] ResetFrame(string reason) =>
        WireFrame.Build(WireFrame.Event, 0, Ticks.Id, ResetMethod.Id, 0, Encoding.UTF8.GetBytes($$"""{"reason":"{{reason}}"}"""));

    private static WireFrame.Header HeaderOf(byte[] frame)
    {
        Assert.True(WireFrame.TryRead(frame, out var header));
        return header;
    }


    [Fact]
    public void A_run_takes_the_whole_events_of_the_first_frames_method_and_flags_up_to_the_limit_and_stops_at_anything_else()
    {
        var (t1, t2, t3) = (TickFrame(1), TickFrame(2), TickFrame(3));
        var first = HeaderOf(t1);
        long Run(byte[] bytes, long limit = long.MaxValue, params int[] cuts) => WireFrame.EventRunLength(Segments.Cut(bytes, cuts), first, limit);

        // Three ticks: one run, also when the blocks cut a header or a payload in two.
        var three = t1.Concat(t2).Concat(t3).ToArray();
        Assert.Equal(three.Length, Run(three));
        Assert.Equal(three.Length, Run(three, long.MaxValue, t1.Length + 5, t1.Length + t2.Length + 40));
        // The limit: the frame that would cross it and everything after it stay out; the first frame always counts.
        Assert.Equal(t1.Length + t2.Length, Run(three, t1.Length + t2.Length + t3.Length - 1));
        Assert.Equal(t1.Length, Run(three, 1));
        // Another method, another kind (a Request of the same method), other flags, an unfinished frame: the run ends before it.
        Assert.Equal(t1.Length + t2.Length, Run(t1.Concat(t2).Concat(ResetFrame("r")).Concat(t3).ToArray()));
        var request = WireFrame.Build(WireFrame.Request, 0, Ticks.Id, TickMethod.Id, 7, "{}"u8);
        Assert.Equal(t1.Length, Run(t1.Concat(request).Concat(t2).ToArray()));
        Assert.Equal(t1.Length, Run(t1.Concat(TickFrame(2, WireFrame.TraceContextFlag)).ToArray()));
        Assert.Equal(t1.Length + t2.Length, Run(t1.Concat(t2).Concat(t3.AsSpan(0, t3.Length - 1).ToArray()).ToArray(), long.MaxValue, t1.Length + 3));
        Assert.Equal(t1.Length, Run(t1.Concat(t2.AsSpan(0, 10).ToArray()).ToArray()));
    }

    [Fact]
    public void A_message_is_taken_as_events_only_when_it_is_whole_event_frames_of_one_method_without_bus_trace_or_upstream()
    {
        var (t1, t2, t3) = (TickFrame(1), TickFrame(2), TickFrame(3));
        bool Read(byte[] bytes, out int count, params int[] cuts) => WireFrame.TryReadEvents(Segments.Cut(bytes, cuts), out _, out count);

        Assert.True(Read(t1, out var one));
        Assert.Equal(1, one);
        var three = t1.Concat(t2).Concat(t3).ToArray();
        Assert.True(Read(three, out var count));
        Assert.Equal(3, count);
        Assert.True(Read(three, out var split, t1.Length + 5, 2 * t1.Length + 1));
        Assert.Equal(3, split);

        Assert.False(Read(t1.Concat(ResetFrame("r")).ToArray(), out _));                                   // two methods
        Assert.False(Read(t1.Concat(t2.AsSpan(0, t2.Length - 1).ToArray()).ToArray(), out _));            // a frame cut short
        Assert.False(Read(t1.Concat(t2).Concat(new byte[3]).ToArray(), out _));                            // bytes after the last frame
        Assert.False(Read(t1.Concat(WireFrame.Build(WireFrame.Request, 0, Ticks.Id, TickMethod.Id, 7, "{}"u8)).ToArray(), out _));
        Assert.False(Read(TickFrame(1, WireFrame.BusFlag).Concat(TickFrame(2, WireFrame.BusFlag)).ToArray(), out _));
        Assert.False(Read(TickFrame(1, WireFrame.TraceContextFlag).Concat(TickFrame(2, WireFrame.TraceContextFlag)).ToArray(), out _));
        Assert.False(Read(WireFrame.Build(WireFrame.Request, 0, Ticks.Id, TickMethod.Id, 7, "{}"u8), out _)); // not an event at all
        // An Event's correlation ID is 0: in this process the field carries delivery tags to the core, so any other is refused.
        Assert.False(Read(WithCorrelation(TickFrame(1), 5), out _));
        Assert.False(Read(t1.Concat(WithCorrelation(TickFrame(2), 1UL << 63 | 40)).Concat(t3).ToArray(), out _));
        Assert.False(Read(WithCorrelation(TickFrame(1), 5).Concat(t2).ToArray(), out _, t1.Length + 3));
    }

    private static byte[] WithCorrelation(byte[] frame, ulong correlationId)
    {
        WireFrame.PatchCorrelation(frame, correlationId);
        return frame;
    }

    /// <summary>
    /// Regression: an Event frame with a correlation ID other than 0 was handed to the core as it came, and with
    /// <c>EventAcknowledgements</c> the core gives every event's correlation ID back to the transport as a delivery tag: one
    /// made up by any publisher on the broker could acknowledge a held durable event before its handler finished, or (with a
    /// run's tag bit) corrupt how much the connection believes its process holds. Such a message is not taken now.
    /// </summary>
    [NatsFact]
    public async Task An_event_message_whose_frames_carry_a_correlation_id_is_dropped_and_never_reaches_the_acknowledgements()
    {
        var endpoint = NatsBroker.NewEndpoint();
        var address = NatsAddress.Parse(IpcEndpoint.Parse(endpoint), "ipc");
        var seen = new TickCollector(expected: 3);
        await using var subscriber = await IpcClient.ConnectAsync(endpoint);
        using var subscription = subscriber.Subscribe<ITicks>(seen);
        await subscriber.Connection.PingAsync();
        var transport = Assert.IsType<NatsBrokerConnection>(subscriber.Connection.Transport);
        await using var nats = new NatsConnection(NatsOpts.Default with { Url = address.Url });
        await nats.ConnectAsync();
        var subject = address.Event(Ticks.Id, TickMethod.ShapeFingerprint);
        ValueTask Publish(params byte[][] frames) =>
            nats.PublishAsync(subject, frames.SelectMany(f => f).ToArray(), serializer: NatsRawSerializer<byte[]>.Default);

        await Publish(TickFrame(1));
        await Publish(WithCorrelation(TickFrame(2), 1UL << 63 | 0xFFFF_FFFF)); // a made-up run tag: 4 GiB given back
        await Publish(TickFrame(3), WithCorrelation(TickFrame(4), 7), TickFrame(5)); // a made-up durable tag inside a run
        await Publish(TickFrame(6), TickFrame(7));
        await seen.Done.Task.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(new[] { 1, 6, 7 }, seen.Sequences.Take(3));
        // What the connection counts as held by its process is square again once everything was handled.
        await Eventually.TrueAsync(() => transport.EventBytesInCore == 0);
    }

    [NatsFact]
    public async Task A_message_of_several_events_delivers_each_in_order_and_one_mixing_two_methods_is_dropped()
    {
        var endpoint = NatsBroker.NewEndpoint();
        var address = NatsAddress.Parse(IpcEndpoint.Parse(endpoint), "ipc");
        var seen = new TickCollector(expected: 5);
        await using var subscriber = await IpcClient.ConnectAsync(endpoint);
        using var subscription = subscriber.Subscribe<ITicks>(seen);
        await subscriber.Connection.PingAsync(); // the broker has the subscription
        await using var nats = new NatsConnection(NatsOpts.Default with { Url = address.Url });
        await nats.ConnectAsync();
        var subject = address.Event(Ticks.Id, TickMethod.ShapeFingerprint);
        ValueTask Publish(params byte[][] frames) =>
            nats.PublishAsync(subject, frames.SelectMany(f => f).ToArray(), serializer: NatsRawSerializer<byte[]>.Default);

        await Publish(TickFrame(1), TickFrame(2), TickFrame(3));
        await Publish(TickFrame(4), ResetFrame("mixed")); // not one method's run: neither event is taken
        await Publish(TickFrame(5));
        await Publish(TickFrame(6), TickFrame(7));
        await seen.Done.Task.WaitAsync(TimeSpan.FromSeconds(10));

        // Events are handled in order, so 4 would have come before 5.
        Assert.Equal(new[] { 1, 2, 3, 5, 6 }, seen.Sequences.Take(5));
    }

    [NatsFact]
    public async Task A_burst_of_events_crosses_the_broker_as_messages_of_whole_frames_of_one_method_every_event_once_in_order()
    {
        const int Events = 3_000;
        var endpoint = NatsBroker.NewEndpoint();
        var address = NatsAddress.Parse(IpcEndpoint.Parse(endpoint), "ipc");
        await using var nats = new NatsConnection(NatsOpts.Default with { Url = address.Url });
        await nats.ConnectAsync();
        await using var raw = await nats.SubscribeCoreAsync(address.Events(Ticks.Id), serializer: NatsRawSerializer<byte[]>.Default);
        await nats.PingAsync(); // the subscription is at the broker
        await using var client = await IpcClient.ConnectAsync(endpoint);
        var publisher = client.Publisher<ITicks>();

        for (var i = 1; i <= Events; i++) publisher.Tick(new Tick(i, "burst"));
        await publisher.Reset("end"); // another method right behind: a run never takes it
        var sequences = new List<int>();
        var resets = 0;
        while (sequences.Count < Events || resets == 0)
        {
            var msg = await raw.Msgs.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));
            var data = Assert.IsType<byte[]>(msg.Data);
            Assert.True(WireFrame.TryReadEvents(new ReadOnlySequence<byte>(data), out var header, out var count), "every message is whole events of one method");
            Assert.Null(msg.Headers);
            var expectedMethod = header.MethodId == TickMethod.Id ? TickMethod : ResetMethod;
            Assert.Equal($"{address.Prefix}.evt.{Ticks.Id:X8}.{expectedMethod.ShapeFingerprint:X16}", msg.Subject);
            if (header.MethodId == ResetMethod.Id)
            {
                resets += count;
                continue;
            }
            var at = 0;
            for (var i = 0; i < count; i++)
            {
                Assert.True(WireFrame.TryRead(data.AsSpan(at), out var frame));
                var json = Encoding.UTF8.GetString(data, at + WireFrame.HeaderSize, (int)frame.PayloadLength);
                sequences.Add(int.Parse(json.Split("\"Sequence\":")[1].Split(',')[0], System.Globalization.CultureInfo.InvariantCulture));
                at += (int)frame.FrameLength;
            }
        }
        Assert.Equal(Enumerable.Range(1, Events), sequences);
        Assert.Equal(1, resets);
    }
}
