using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using IpcContracts.Nats;
using IpcContracts.Protocol;
using IpcContracts.Runtime;
using IpcContracts.TestContracts;
using IpcContracts.Tests.Support;
using IpcContracts.Transports;
using NATS.Client.Core;

namespace IpcContracts.Tests.Nats;

/// <summary>
/// Events over a broker carry the sender's fingerprint of the method in the subject, <c>P.evt.C.F</c>, and a header block
/// only for a signature with optional parameters or a trace context (docs/protocol.md section 9, "Fingerprints over the
/// broker"). The other side of each case is a raw NATS connection, so the subjects and headers are exactly the ones under
/// test.
/// </summary>
public sealed class NatsEventShapeTests
{
    [NatsFact]
    public async Task An_event_goes_to_its_fingerprint_subject_without_a_header_block_and_with_traceparent_when_a_trace_is_active()
    {
        var endpoint = NatsBroker.NewEndpoint();
        var address = NatsAddress.Parse(IpcEndpoint.Parse(endpoint), "ipc");
        var ticks = ContractRegistry.Get<ITicks>();
        var tick = ticks.Methods.Single(m => m.Name == "Tick");
        await using var nats = new NatsConnection(NatsOpts.Default with { Url = address.Url });
        await nats.ConnectAsync();
        await using var raw = await nats.SubscribeCoreAsync(address.Events(ticks.Id), serializer: NatsRawSerializer<byte[]>.Default);
        await nats.PingAsync(); // the subscription is at the broker
        await using var client = await IpcClient.ConnectAsync(endpoint);
        var publisher = client.Publisher<ITicks>();

        publisher.Tick(new Tick(1, "plain"));
        var plain = await raw.Msgs.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal($"{address.Prefix}.evt.{ticks.Id:X8}.{tick.ShapeFingerprint:X16}", plain.Subject);
        Assert.Null(plain.Headers); // PUB, not HPUB: no Ipc-Fp, no Ipc-Sig (the signature has no optional parameters)

        using (var activity = new Activity("publish under a trace").SetIdFormat(ActivityIdFormat.W3C).Start())
        {
            publisher.Tick(new Tick(2, "traced"));
            var traced = await raw.Msgs.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));
            Assert.Equal(plain.Subject, traced.Subject);
            Assert.NotNull(traced.Headers);
            Assert.Contains(activity.TraceId.ToHexString(), traced.Headers!["traceparent"].ToString(), StringComparison.Ordinal);
            Assert.False(traced.Headers.ContainsKey("Ipc-Sig"));
        }
    }

    [NatsFact]
    public async Task A_subscriber_takes_events_of_its_own_or_a_compatible_shape_and_drops_and_reports_the_others()
    {
        var endpoint = NatsBroker.NewEndpoint();
        var address = NatsAddress.Parse(IpcEndpoint.Parse(endpoint), "ipc");
        var ticks = ContractRegistry.Get<ITicks>();
        var reset = ticks.Methods.Single(m => m.Name == "Reset");
        var reported = new ConcurrentQueue<Exception>();
        var seen = new TickCollector(expected: 4);
        await using var subscriber = await IpcClient.ConnectAsync(endpoint, options: new IpcOptions { EventHandlerException = reported.Enqueue });
        using var subscription = subscriber.Subscribe<ITicks>(seen);
        await subscriber.Connection.PingAsync(); // the broker has the subscription
        await using var nats = new NatsConnection(NatsOpts.Default with { Url = address.Url });
        await nats.ConnectAsync();

        async Task PublishAsync(string reason, string senderSignature, bool signed)
        {
            var frame = WireFrame.Build(WireFrame.Event, 0, ticks.Id, reset.Id, 0, Encoding.UTF8.GetBytes($$"""{"reason":"{{reason}}"}"""));
            var headers = signed ? new NatsHeaders { ["Ipc-Sig"] = senderSignature } : null;
            await nats.PublishAsync(address.Event(ticks.Id, Fnv1a.Hash64(senderSignature)), frame, headers, serializer: NatsRawSerializer<byte[]>.Default);
        }

        Assert.Equal("E:void(string reason)", reset.Signature);
        await PublishAsync("same shape", "E:void(string reason)", signed: false);
        await PublishAsync("newer, signed", "E:void(string reason,int code=)", signed: true);        // an extra optional parameter
        await PublishAsync("other, unsigned", "E:void(string reason,int code)", signed: false);     // nothing to judge it by
        await PublishAsync("other, signed", "E:void(string reason,int code)", signed: true);        // a required extra parameter
        await PublishAsync("older, unsigned", "E:void()", signed: false);                           // misses a required parameter
        await PublishAsync("same shape again", "E:void(string reason)", signed: false);
        // The last one: everything before it has been judged when it arrives (events are handled in order).
        await PublishAsync("last", "E:void(string reason)", signed: false);
        await seen.Done.Task.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(["reset same shape", "reset newer, signed", "reset same shape again", "reset last"], seen.Log);
        var mismatches = reported.Select(e => Assert.IsType<ContractMismatchException>(e).Message).ToList();
        Assert.Equal(3, mismatches.Count);
        Assert.Contains("sent no signature", mismatches[0], StringComparison.Ordinal);
        Assert.Contains("'int code' is only there, and it is not optional", mismatches[1], StringComparison.Ordinal);
        Assert.Contains("sent no signature", mismatches[2], StringComparison.Ordinal);
    }
}
