using System.Buffers;
using System.Buffers.Binary;
using System.Text.Json.Serialization.Metadata;
using System.Threading.Channels;
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
    private long _credit;
    private TaskCompletionSource<bool>? _creditWaiter;

    public void AddCredit(uint bytes)
    {
        Interlocked.Add(ref _credit, bytes);
        Interlocked.Exchange(ref _creditWaiter, null)?.TrySetResult(true);
    }

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
            await foreach (var item in items.WithCancellation(token).ConfigureAwait(false))
            {
                while (Interlocked.Read(ref _credit) <= 0)
                {
                    var waiter = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
                    Volatile.Write(ref _creditWaiter, waiter);
                    if (Interlocked.Read(ref _credit) > 0) break; // a grant came between the check and publishing the waiter
                    await waiter.Task.WaitAsync(token).ConfigureAwait(false);
                }
                var frame = FrameBuilder.Value(Template(FrameKind.StreamItem), item, typeInfo, connection.Options.MaxPayloadLength);
                Interlocked.Add(ref _credit, -(frame.Length - FrameHeader.Size)); // payload bytes, as the handler counts them
                if (!connection.TrySend(frame)) return;
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
            connection.TrySend(ErrorFrames.Build(Template(FrameKind.StreamEnd), ErrorFrames.FromException(e, cancelled: false)));
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
/// Items arrive on the reader thread into a channel that the credit window bounds; credit is granted only when the
/// handler starts reading, then at half the window as it reads. Ends with StreamEnd (or the caller's error), and with
/// the call's token (the caller cancelled, or the connection ended). Disposing early tells the caller to stop.
/// </summary>
internal sealed class ArgumentStreamReader<T>(InboundRequest request, IpcConnection connection, JsonTypeInfo<T> typeInfo)
    : IAsyncEnumerable<T>, IAsyncEnumerator<T>, IArgumentStreamSink
{
    private readonly Channel<(T Item, int Size)> _items = Channel.CreateUnbounded<(T, int)>(
        new UnboundedChannelOptions { SingleReader = true, SingleWriter = true, AllowSynchronousContinuations = false });
    private readonly int _window = connection.Options.Streams.CreditWindow;
    private long _credit; // what the caller may still send, as this side sees it (reader thread decrements)
    private long _consumedSinceGrant;
    private int _enumerated;
    private int _ended; // the caller's stream ended, failed, or this side stopped it
    private CancellationToken _token;

    public T Current { get; private set; } = default!;

    public IAsyncEnumerator<T> GetAsyncEnumerator(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _enumerated, 1) != 0)
            throw new InvalidOperationException("An argument stream can be enumerated only once: its items are sent once.");
        _token = cancellationToken.CanBeCanceled ? cancellationToken : request.CancellationToken;
        Grant(_window); // the caller sends nothing before the handler starts reading
        return this;
    }

    private void Grant(long bytes)
    {
        Interlocked.Add(ref _credit, bytes);
        Span<byte> grant = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(grant, (uint)bytes);
        connection.TrySend(FrameBuilder.Raw(new FrameHeaderTemplate(FrameKind.StreamCredit, FrameFlags.Upstream, 0, 0, request.CorrelationId), grant, int.MaxValue));
    }

    /// <summary>A StreamItem with Upstream (reader thread): parse and queue; never waits.</summary>
    public void OnItem(in ReadOnlySequence<byte> payload)
    {
        if (Volatile.Read(ref _ended) != 0) return; // in flight when this side stopped it
        if (Interlocked.Read(ref _credit) <= 0)
        {
            Fail(new IpcProtocolException(ProtocolError.UnexpectedFrame, "The caller sent an argument-stream item beyond the credit it was granted."));
            return;
        }
        Interlocked.Add(ref _credit, -payload.Length);
        try
        {
            _items.Writer.TryWrite((PayloadJson.Read(payload, typeInfo, "argument-stream item of ", "the call"), (int)payload.Length));
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
            _items.Writer.TryComplete();
            return;
        }
        ErrorPayload error;
        try { error = ErrorPayload.Parse(payload); }
        catch (IpcProtocolException e) { error = new ErrorPayload { Code = ErrorCodes.Remote, Type = "unknown", Message = $"(unreadable error payload: {e.Message})" }; }
        _items.Writer.TryComplete(ErrorFrames.ToException(error, "the caller's argument stream"));
    }

    /// <summary>This side stops reading (early dispose, or the call replied): the caller stops sending.</summary>
    public void StopFromHandler() => End(new ObjectDisposedException("argument stream"));

    /// <summary>A bad item: the handler's enumeration throws it, and the caller stops sending.</summary>
    private void Fail(Exception error) => End(error);

    private void End(Exception error)
    {
        if (Interlocked.Exchange(ref _ended, 1) != 0) return;
        connection.TrySend(FrameBuilder.Empty(new FrameHeaderTemplate(FrameKind.Cancel, FrameFlags.Upstream, 0, 0, request.CorrelationId)));
        _items.Writer.TryComplete(error);
    }

    public ValueTask<bool> MoveNextAsync()
    {
        if (_items.Reader.TryRead(out var next)) return new ValueTask<bool>(Take(next));
        return WaitAsync();
    }

    private async ValueTask<bool> WaitAsync()
    {
        while (await _items.Reader.WaitToReadAsync(_token).ConfigureAwait(false))
        {
            if (_items.Reader.TryRead(out var next)) return Take(next);
        }
        return false;
    }

    private bool Take((T Item, int Size) next)
    {
        Current = next.Item;
        _consumedSinceGrant += next.Size;
        if (_consumedSinceGrant >= _window / 2 && Volatile.Read(ref _ended) == 0)
        {
            var grant = _consumedSinceGrant;
            _consumedSinceGrant = 0;
            Grant(grant);
        }
        return true;
    }

    public ValueTask DisposeAsync()
    {
        StopFromHandler();
        return default;
    }
}

/// <summary>An inbound request's argument stream, as the reader thread sees it (the item type is unknown there).</summary>
internal interface IArgumentStreamSink
{
    void OnItem(in ReadOnlySequence<byte> payload);
    void OnEnd(in ReadOnlySequence<byte> payload);
    void StopFromHandler();
}
