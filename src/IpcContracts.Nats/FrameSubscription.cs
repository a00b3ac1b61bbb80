using System.Buffers;
using NATS.Client.Core;

namespace IpcContracts.Nats;

/// <summary>
/// A NATS subscription that hands each message to a callback on the client's socket reader, in arrival order and
/// without an intermediate channel. This is the transport's "wait mode": while the callback awaits (the local
/// connection is not reading), the reader waits too, so the broker's messages back up in TCP instead of being dropped
/// by a full client-side channel (NATS.Client.Core's default drops the newest message when a subscription falls behind).
/// </summary>
internal sealed class FrameSubscription : NatsSubBase
{
    public delegate ValueTask Handler(string subject, string? replyTo, ReadOnlySequence<byte>? headers, ReadOnlySequence<byte> payload);

    private readonly Handler _handler;

    public FrameSubscription(NatsConnection connection, string subject, string? queueGroup, Handler handler)
        : base(connection, connection.SubscriptionManager, subject, queueGroup, opts: null) => _handler = handler;

    protected override ValueTask ReceiveInternalAsync(string subject, string? replyTo, ReadOnlySequence<byte>? headersBuffer, ReadOnlySequence<byte> payloadBuffer) =>
        _handler(subject, replyTo, headersBuffer, payloadBuffer);

    protected override void TryComplete() { }
}
