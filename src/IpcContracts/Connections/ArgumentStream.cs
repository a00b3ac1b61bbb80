using System.Buffers;
using System.Runtime.CompilerServices;
using System.Text.Json.Serialization.Metadata;
using IpcContracts.Protocol;

namespace IpcContracts.Connections;

/// <summary>The caller's pump of an argument stream, as the reader thread sees it (credit and stop).</summary>
internal interface IUpstream
{
    void AddCredit(uint bytes);
    void Stop();
    Task RunAsync();
}

/// <summary>
/// The caller's side of an <c>IAsyncEnumerable&lt;T&gt;</c> parameter (docs/protocol.md 7.9). Once the Request is queued,
/// enumerates the user's stream and sends each item as a StreamItem with the Upstream flag, as the handler's credit
/// allows (it grants only as it reads, so nothing is sent before the handler starts reading); then StreamEnd, empty, or
/// with the Error the user's enumeration threw. Stops (disposing the user's enumerator) when the handler stops reading
/// (Cancel with Upstream), when the call ends, or when the connection closes.
/// </summary>
internal sealed class UpstreamPump<T>(IpcConnection connection, ulong callId, FrameHeaderTemplate request, IAsyncEnumerable<T> items, JsonTypeInfo<T> typeInfo)
    : IUpstream
{
    private readonly CancellationTokenSource _stop = new();
    private readonly ProducerCredit _credit = new();

    public void AddCredit(uint bytes) => _credit.Grant(bytes);

    public void Stop()
    {
        try { _stop.Cancel(); } catch (ObjectDisposedException) { }
    }

    private FrameHeaderTemplate Template(FrameKind kind) => new(kind, FrameFlags.Upstream, request.ContractId, request.MethodId, callId);

    /// <summary>Runs until the stream ends or the pump is stopped; never throws.</summary>
    public async Task RunAsync()
    {
        var token = _stop.Token;
        try
        {
            if (items is Runtime.ByteChunkSource bytes)
            {
                // A Stream or PipeReader argument: read straight into the frames.
                if (!await ByteChunkFrames.SendAsync(bytes, _credit, Template(FrameKind.StreamItem), connection, token).ConfigureAwait(false)) return;
            }
            else
            {
                if (!await StreamItemFrames.SendAsync(items, typeInfo, _credit, Template(FrameKind.StreamItem), connection, token).ConfigureAwait(false)) return;
            }
            connection.TrySend(FrameBuilder.Empty(Template(FrameKind.StreamEnd)));
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // Stopped: the handler stopped reading, or the call ended. Nothing more to say.
        }
        catch (Exception e)
        {
            // The caller's own enumeration failed: the handler's enumeration throws it (as a RemoteInvocationException).
            // A sequence that was cancelled ends the handler's enumeration as cancelled (OperationCanceledException). It is
            // usually the call's own token, cancelled by the caller: its Cancel frame follows this StreamEnd, and had this
            // said "failed", the handler would see a failure or a cancellation depending on which frame its wait saw first.
            var cancelled = e is OperationCanceledException;
            connection.TrySend(ErrorFrames.Build(Template(FrameKind.StreamEnd), ErrorFrames.FromException(e, cancelled)));
        }
        finally
        {
            connection.RemoveUpstream(callId, this);
            _stop.Dispose();
        }
    }
}

/// <summary>
/// The handler's side of an argument stream: what <c>InboundCall.ArgumentStream&lt;T&gt;</c> returns. Enumerable once.
/// Items arrive on the reader thread into an <see cref="ItemQueue{T}"/> that the credit window bounds; credit is granted only when the
/// handler starts reading, then each time it has read a quarter of the window. Ends with StreamEnd (or the caller's error), and with
/// the call's token (the caller cancelled, or the connection ended). Disposing early tells the caller to stop.
/// </summary>
internal sealed class ArgumentStreamReader<T>(InboundRequest request, IpcConnection connection, JsonTypeInfo<T> typeInfo)
    : IAsyncEnumerable<T>, IAsyncEnumerator<T>, IArgumentStreamSink, IChunkLender
{
    private readonly ItemQueue<T> _items = new(connection);
    private CancellationTokenRegistration _cancelled;
    private readonly ConsumerCredit _credit = new(connection.Options.Streams.WindowFor<T>());
    private int _enumerated;
    private int _ended; // the caller's stream ended, failed, or this side stopped it
    private bool _callerCancelled; // its StreamEnd said the caller's sequence was cancelled
    private CancellationToken _token;
    private bool _lend; // set by the consumer (a ChunkReadStream) before it enumerates: items are lent from the pool
    private byte[]? _lent; // the pooled buffer of Current, given back when the consumer asks for the next item

    public void LendChunks() => Volatile.Write(ref _lend, true);

    public T Current { get; private set; } = default!;

    public IAsyncEnumerator<T> GetAsyncEnumerator(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _enumerated, 1) != 0)
            throw new InvalidOperationException("An argument stream can be enumerated only once: its items are sent once.");
        _token = cancellationToken.CanBeCanceled ? cancellationToken : request.CancellationToken;
        // The token ends the enumeration: a wait for the next item throws once the items already queued are taken.
        if (_token.CanBeCanceled)
            _cancelled = _token.UnsafeRegister(static s => ((ArgumentStreamReader<T>)s!).Cancelled(), this);
        // The caller sends nothing before the handler starts reading.
        _credit.Granted(_credit.Window);
        connection.TrySend(ConsumerCredit.Frame(FrameFlags.Upstream, request.CorrelationId, _credit.Window));
        return this;
    }

    /// <summary>A StreamItem with Upstream (reader thread): parse and queue; never waits.</summary>
    public void OnItem(in ReadOnlySequence<byte> payload, bool binary)
    {
        if (Volatile.Read(ref _ended) != 0) return; // in flight when this side stopped it
        if (!_credit.TryReceive(payload.Length))
        {
            Fail(new IpcProtocolException(ProtocolError.UnexpectedFrame, "The caller sent an argument-stream item beyond the credit it was granted."));
            return;
        }
        try
        {
            byte[]? lent = null;
            if (!binary || !Volatile.Read(ref _lend) || !ChunkLending.TryLend(payload, out T item, out lent))
                item = PayloadJson.ReadItem(payload, binary, typeInfo, "argument-stream item of ", "the call");
            _items.Add(item, (int)payload.Length, lent);
        }
        catch (Exception e)
        {
            Fail(e);
        }
    }

    /// <summary>StreamEnd (reader thread): the end, or the caller's own failure as an Error payload.</summary>
    public void OnEnd(in ReadOnlySequence<byte> payload)
    {
        if (Interlocked.Exchange(ref _ended, 1) != 0) return;
        if (payload.IsEmpty)
        {
            _items.Complete(null);
            return;
        }
        ErrorPayload error;
        try { error = ErrorPayload.Parse(payload); }
        catch (IpcProtocolException e) { error = new ErrorPayload { Code = ErrorCodes.Remote, Type = "unknown", Message = $"(unreadable error payload: {e.Message})" }; }
        if (error.Code == ErrorCodes.Cancelled) Volatile.Write(ref _callerCancelled, true); // before the handler can see the end
        _items.Complete(ErrorFrames.ToException(error, "the caller's argument stream", thrower: "The caller's argument stream"));
    }

    public bool CallerCancelled => Volatile.Read(ref _callerCancelled);

    /// <summary>This side stops reading (early dispose, or the call replied): the caller stops sending.</summary>
    public void StopFromHandler() => End(new ObjectDisposedException("argument stream"));

    /// <summary>A bad item: the handler's enumeration throws it, and the caller stops sending.</summary>
    private void Fail(Exception error) => End(error);

    private void End(Exception error)
    {
        if (Interlocked.Exchange(ref _ended, 1) != 0) return;
        connection.TrySend(FrameBuilder.Empty(new FrameHeaderTemplate(FrameKind.Cancel, FrameFlags.Upstream, 0, 0, request.CorrelationId)));
        _items.Complete(error);
    }

    private void Cancelled() => _items.Complete(new OperationCanceledException(_token));

    public ValueTask<bool> MoveNextAsync()
    {
        ChunkLending.Return(ref _lent); // the consumer is done with Current
        if (_items.TryTake(out var next)) return new ValueTask<bool>(Take(next));
        return WaitAsync();
    }

    // Pooled, as StreamCall's: a handler that keeps up waits once per read.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> WaitAsync()
    {
        while (await _items.WaitToReadAsync().ConfigureAwait(false))
        {
            if (_items.TryTake(out var next)) return Take(next);
        }
        return false;
    }

    private bool Take((T Item, int Size, byte[]? Lent) next)
    {
        Current = next.Item;
        _lent = next.Lent;
        // Once the stream ended (or this side stopped it) the caller sends nothing more: no grant to send.
        if (_credit.Consumed(next.Size) is > 0 and var grant && Volatile.Read(ref _ended) == 0)
            connection.TrySend(ConsumerCredit.Frame(FrameFlags.Upstream, request.CorrelationId, grant));
        return true;
    }

    public ValueTask DisposeAsync()
    {
        Current = default!;
        ChunkLending.Return(ref _lent);
        StopFromHandler();
        _cancelled.Dispose();
        return default;
    }
}

/// <summary>An inbound request's argument stream, as the reader thread sees it (the item type is unknown there).</summary>
internal interface IArgumentStreamSink
{
    void OnItem(in ReadOnlySequence<byte> payload, bool binary);
    void OnEnd(in ReadOnlySequence<byte> payload);
    void StopFromHandler();

    /// <summary>
    /// The caller's StreamEnd said its sequence was cancelled: a handler that fails with the resulting
    /// <see cref="OperationCanceledException"/> was cancelled by its caller, whether or not the call's Cancel has arrived.
    /// </summary>
    bool CallerCancelled { get; }
}
