using System.Buffers;
using System.Text.Json.Serialization.Metadata;
using IpcContracts.Protocol;
using IpcContracts.Runtime;

namespace IpcContracts.Connections;

/// <summary>A request received from the peer; owns the handler's cancellation and sends exactly one reply.</summary>
internal sealed class InboundRequest : InboundCall
{
    private readonly IpcConnection _connection;
    private FrameHeader _header; // not readonly: a finished request is reused for the next one (Reuse)
    private readonly CancellationToken _connectionLifetime;
    private CancellationTokenSource? _cancellation; // created only for handlers that take a token
    private int _cancelRequested;
    private ReadOnlySequence<byte> _payload;
    private ReadOnlySequence<byte> _binary;
    private bool _hasBinary;
    private int _replied;

    // payload: the argument object (trace-context prefix and binary section already split off); binary: the binary
    // argument, when the frame has the Binary flag.
    public InboundRequest(IpcConnection connection, in FrameHeader header, in ReadOnlySequence<byte> payload, in ReadOnlySequence<byte> binary,
        CancellationToken connectionLifetime)
    {
        _connection = connection;
        _header = header;
        _payload = payload;
        _binary = binary;
        _hasBinary = (header.Flags & FrameFlags.Binary) != 0;
        _connectionLifetime = connectionLifetime;
    }

    /// <summary>
    /// Makes a finished request (<see cref="CanBeReused"/>) the next one on the same connection. The connection's reader
    /// thread, the only one that creates requests, calls it; a Cancel it looked up just before the old request finished
    /// only marks this object, and the reset here clears the mark.
    /// </summary>
    public InboundRequest Reuse(in FrameHeader header, in ReadOnlySequence<byte> payload, in ReadOnlySequence<byte> binary)
    {
        _header = header;
        _payload = payload;
        _binary = binary;
        _hasBinary = (header.Flags & FrameFlags.Binary) != 0;
        Volatile.Write(ref _cancellation, null);
        Volatile.Write(ref _cancelRequested, 0);
        Telemetry = null;
        Volatile.Write(ref _replied, 0);
        return this;
    }

    /// <summary>
    /// Replied, and its dispatch completed, and nothing of it was handed to code that may outlive the dispatch (a progress
    /// reporter, an argument stream, a stream result's credit): nobody reaches it any more, so the next request may use it.
    /// </summary>
    public bool CanBeReused => HasReplied && !_progressGiven && Volatile.Read(ref _argumentStream) is null && Volatile.Read(ref _credit) is null;

    private bool _progressGiven;

    // A dispatch that did not complete synchronously, and what runs when it does: one delegate per request object, which the
    // connection reuses, so observing an asynchronous handler allocates nothing per call (an async method here took a
    // state machine box per call).
    private ValueTask _dispatch;
    private Action? _onDispatched;

    /// <summary>
    /// The handler's dispatch is still running: once it completes, a request it did not reply to fails, a dispatch that
    /// threw fails the request with that, and the request goes back to the connection for reuse. The continuation runs
    /// on the thread that completed the dispatch, as an await with ConfigureAwait(false) would.
    /// </summary>
    public void ObserveDispatch(ValueTask pending)
    {
        _dispatch = pending;
        pending.ConfigureAwait(false).GetAwaiter().UnsafeOnCompleted(_onDispatched ??= OnDispatched);
    }

    private void OnDispatched()
    {
        var pending = _dispatch;
        _dispatch = default;
        try
        {
            pending.GetAwaiter().GetResult(); // completed, and read exactly once: a reusable source behind it (ReplyLater, a pooled ValueTask) may be reset after this
            if (!HasReplied) Fail(new InvalidOperationException("The handler completed without a reply."));
        }
        catch (Exception e)
        {
            Fail(e);
        }
        _connection.Recycle(this); // last: from here the connection may reuse this object for another request
    }

    public ulong CorrelationId => _header.CorrelationId;
    public override uint MethodId => _header.MethodId;
    public override ReadOnlySequence<byte> Payload => _payload;
    public override CancellationToken CancellationToken
    {
        get
        {
            var cts = Volatile.Read(ref _cancellation);
            if (cts is null)
            {
                var fresh = CancellationTokenSource.CreateLinkedTokenSource(_connectionLifetime);
                cts = Interlocked.CompareExchange(ref _cancellation, fresh, null) ?? fresh;
                if (cts != fresh) fresh.Dispose();
                // A Cancel that arrived before anyone asked for the token still counts.
                if (Volatile.Read(ref _cancelRequested) != 0) Cancel();
            }
            try { return cts.Token; }
            catch (ObjectDisposedException) { return new CancellationToken(canceled: true); } // replied already
        }
    }

    private bool IsCancellationRequested => Volatile.Read(ref _cancelRequested) != 0 || _connectionLifetime.IsCancellationRequested;
    public override IpcConnection Connection => _connection;
    public bool HasReplied => Volatile.Read(ref _replied) != 0;

    /// <summary>Server span and metrics of the call; null when nobody listens.</summary>
    public Diagnostics.CallTelemetry? Telemetry { get; set; }

    /// <summary>The payload memory goes back to the pipe after the dispatcher's synchronous part.</summary>
    public void ReleasePayload()
    {
        _payload = default;
        _binary = default;
        _hasBinary = false;
    }

    internal override bool TryGetBinary(out ReadOnlySequence<byte> bytes)
    {
        bytes = _binary;
        return _hasBinary;
    }

    public void Cancel()
    {
        Volatile.Write(ref _cancelRequested, 1);
        try { Volatile.Read(ref _cancellation)?.Cancel(); }
        catch (ObjectDisposedException) { }
        catch (AggregateException) { /* handler callbacks threw; the handler sees the cancellation anyway */ }
    }

    public override void Reply<T>(T value, JsonTypeInfo<T> typeInfo)
    {
        if (!TryClaim()) return;
        OutgoingFrame frame;
        try
        {
            frame = FrameBuilder.Item(Template(FrameKind.Response), value, typeInfo, _connection.Options.MaxPayloadLength);
        }
        catch (Exception e)
        {
            Telemetry?.Complete(e);
            Send(ErrorFrames.Build(Template(FrameKind.Error), ErrorFrames.FromException(e, false)));
            return;
        }
        Send(frame);
    }

    public override void ReplyEmpty()
    {
        if (TryClaim()) Send(FrameBuilder.Empty(Template(FrameKind.Response)));
    }

    /// <summary>Sends an untyped handler's result, which must be one JSON value like every payload.</summary>
    public void ReplyRaw(ReadOnlySpan<byte> json, RawHandlerEntry handler)
    {
        if (Untyped.RawJson.ValueError(json) is { } error)
        {
            // The handler's fault, so it is reported as its failure (remote); sent on, the text would fail the
            // caller's parse instead, or reach an untyped caller as if it were a result.
            Fail(new InvalidOperationException(
                $"The untyped handler {handler.ContractAlias}.{handler.Method} returned text that is not one JSON value ({error}); return JSON text, or null for no result."));
            return;
        }
        if (!TryClaim()) return;
        OutgoingFrame frame;
        try
        {
            frame = FrameBuilder.Raw(Template(FrameKind.Response), json, _connection.Options.MaxPayloadLength);
        }
        catch (Exception e)
        {
            Telemetry?.Complete(e);
            Send(ErrorFrames.Build(Template(FrameKind.Error), ErrorFrames.FromException(e, false)));
            return;
        }
        Send(frame);
    }

    public void Fail(Exception error)
    {
        if (!TryClaim()) return;
        // Cancelled: by this call's token, or by the caller's argument stream ending as cancelled. A caller that cancels its
        // call with the token its sequence also takes sends that StreamEnd before the call's Cancel (its sequence's
        // registration runs first); answered "remote" here, the caller could get RemoteInvocationException for its own
        // cancellation when this Error reached it before its call's cancellation did (a rare test failure, session 24).
        var cancelled = error is OperationCanceledException
            && (IsCancellationRequested || Volatile.Read(ref _argumentStream)?.CallerCancelled == true);
        Telemetry?.Complete(error);
        Diagnostics.IpcTelemetry.HandlerFailed(_connection, _header, error, cancelled);
        Send(ErrorFrames.Build(Template(FrameKind.Error), ErrorFrames.FromException(error, cancelled)));
    }

    private bool TryClaim() => Interlocked.Exchange(ref _replied, 1) == 0;

    // ---- argument stream: the caller's items for the method's IAsyncEnumerable<T> parameter ----

    private IArgumentStreamSink? _argumentStream;

    public override IAsyncEnumerable<T> ArgumentStream<T>(JsonTypeInfo<T> typeInfo)
    {
        var reader = new ArgumentStreamReader<T>(this, _connection, typeInfo);
        if (Interlocked.CompareExchange(ref _argumentStream, reader, null) is not null)
            throw new InvalidOperationException("A call has at most one argument stream.");
        return reader;
    }

    /// <summary>StreamItem / StreamEnd with Upstream for this request (reader thread); dropped if the handler has none.</summary>
    public void OnArgumentItem(in ReadOnlySequence<byte> payload, bool binary) => Volatile.Read(ref _argumentStream)?.OnItem(payload, binary);

    public void OnArgumentEnd(in ReadOnlySequence<byte> payload) => Volatile.Read(ref _argumentStream)?.OnEnd(payload);

    // ---- progress: reports go out while the call runs, never after its reply ----

    public override IProgress<T> Progress<T>(JsonTypeInfo<T> typeInfo)
    {
        Volatile.Write(ref _progressGiven, true); // the reporter may be kept and used after the reply: never reuse this request
        return new ProgressReporter<T>(this, typeInfo);
    }

    /// <summary>
    /// Sends one report unless the call has replied. A value that cannot be serialized throws to the handler, like any
    /// other bug in its own code.
    /// </summary>
    public void SendProgress<T>(T value, JsonTypeInfo<T> typeInfo)
    {
        if (HasReplied) return;
        var frame = FrameBuilder.Value(Template(FrameKind.Progress), value, typeInfo, _connection.Options.MaxPayloadLength);
        _connection.SendProgress(frame, _header.CorrelationId);
    }

    // ---- stream results: items go out as the caller's credit allows (docs/protocol.md, "Streams") ----

    // Created by the first grant or by ReplyStreamAsync, whichever comes first (grants may arrive before the handler
    // starts): a request without a stream result allocates none.
    private ProducerCredit? _credit;

    private ProducerCredit Credit =>
        Volatile.Read(ref _credit) ?? Interlocked.CompareExchange(ref _credit, new ProducerCredit(), null) ?? _credit!;

    /// <summary>A StreamCredit frame (reader thread): more room; wakes a producer waiting for it.</summary>
    public void AddCredit(uint bytes) => Credit.Grant(bytes);

    public override async ValueTask ReplyStreamAsync<T>(IAsyncEnumerable<T> items, JsonTypeInfo<T> typeInfo)
    {
        var token = CancellationToken;
        var credit = Credit; // no timer: a wait for credit ends with a grant, the caller's Cancel or the connection's end
        try
        {
            if (items is Runtime.ByteChunkSource bytes)
            {
                // A Stream or PipeReader result: read straight into the frames; the source is disposed however it ends.
                if (!await ByteChunkFrames.SendAsync(bytes, credit, Template(FrameKind.StreamItem), _connection, token).ConfigureAwait(false)) return;
            }
            else
            {
                // A handler that is not an iterator may return null: said as such, not as a NullReferenceException.
                if (items is null)
                    throw new InvalidOperationException($"The handler returned a null IAsyncEnumerable<{typeInfo.Type.Name}>; return an empty sequence for no items.");
                // The handler's iterator gets the call's token ([EnumeratorCancellation]).
                if (!await StreamItemFrames.SendAsync(items, typeInfo, credit, Template(FrameKind.StreamItem), _connection, token).ConfigureAwait(false)) return;
            }
        }
        catch (Exception e)
        {
            Fail(e);
            return;
        }
        ReplyEmpty(); // the end of the stream
    }

    // Replies echo the Request's flags except TraceContext and Binary: their payload has no prefix, and whether it is
    // binary is the reply's own business (FrameBuilder.Item sets it).
    private FrameHeaderTemplate Template(FrameKind kind) =>
        new(kind, _header.Flags & ~(FrameFlags.TraceContext | FrameFlags.Binary), _header.ContractId, _header.MethodId, _header.CorrelationId);

    private void Send(OutgoingFrame frame)
    {
        Telemetry?.Complete(null);
        // The reply ends the call: a caller still sending its argument stream is told to stop.
        Volatile.Read(ref _argumentStream)?.StopFromHandler();
        _connection.CompleteInbound(this);
        Volatile.Read(ref _cancellation)?.Dispose();
        _connection.TrySend(frame);
    }
}

internal static class ErrorFrames
{
    /// <summary>
    /// The Error payload for a request that failed. The code says where the failure came from, not only its
    /// type: <c>mismatch</c> and <c>bad_payload</c> only when this request's own dispatch failed
    /// (<see cref="IpcException.IsDispatchFailure"/>). The same exception types from the handler's body, such
    /// as its own outbound call failing a contract check or getting a reply that does not parse, are
    /// <c>remote</c> and keep their type name, so the caller never takes the handler's problem for its own.
    /// </summary>
    public static ErrorPayload FromException(Exception e, bool cancelled) => e switch
    {
        _ when cancelled => new ErrorPayload { Code = ErrorCodes.Cancelled, Type = e.GetType().FullName ?? "", Message = e.Message },
        ContractMismatchException { IsDispatchFailure: true } m =>
            new ErrorPayload { Code = ErrorCodes.Mismatch, Type = e.GetType().FullName ?? "", Message = e.Message, Contract = m.Contract, Method = m.Method },
        IpcProtocolException { IsDispatchFailure: true, Error: ProtocolError.BadPayload } =>
            new ErrorPayload { Code = ErrorCodes.BadPayload, Type = e.GetType().FullName ?? "", Message = e.Message },
        // A coded (domain) error is an outcome the contract expects: its code travels, its stack trace does not.
        _ when CodeOf(e) is { } code => new ErrorPayload { Code = ErrorCodes.Remote, Type = e.GetType().FullName ?? "", Message = e.Message, ErrorCode = code },
        _ => new ErrorPayload { Code = ErrorCodes.Remote, Type = e.GetType().FullName ?? "", Message = e.Message, Stack = e.StackTrace },
    };

    /// <summary>Longest application error code (<see cref="IpcErrorException"/>, <see cref="IIpcError"/>); a longer one counts as none.</summary>
    public const int MaxErrorCodeLength = 256;

    /// <summary>The application error code <paramref name="e"/> carries, or null: none, or one that is blank or too long.</summary>
    public static string? CodeOf(Exception e) =>
        e is IIpcError { ErrorCode: { Length: > 0 and <= MaxErrorCodeLength } code } && !string.IsNullOrWhiteSpace(code) ? code : null;

    /// <summary>Longest message or stack text sent, so an Error always fits the peer's frame limit.</summary>
    private const int MaxTextLength = 16 * 1024;

    public static OutgoingFrame Build(in FrameHeaderTemplate template, ErrorPayload payload)
    {
        payload.Message = Truncate(payload.Message)!;
        payload.Stack = Truncate(payload.Stack);
        return FrameBuilder.Value(template, payload, ProtocolJson.Default.ErrorPayload, int.MaxValue);
    }

    private static string? Truncate(string? text) =>
        text is { Length: > MaxTextLength } ? string.Concat(text.AsSpan(0, MaxTextLength), "... (truncated)") : text;

    /// <summary>
    /// The exception a caller sees for an Error frame (and a handler for its caller's failed argument stream, with
    /// <paramref name="thrower"/> naming that stream).
    /// </summary>
    public static Exception ToException(ErrorPayload error, string callDescription, string thrower = "The remote handler") => error.Code switch
    {
        ErrorCodes.Mismatch => new ContractMismatchException(error.Contract ?? "", error.Method, error.Message),
        ErrorCodes.BadPayload => new IpcProtocolException(ProtocolError.BadPayload, $"The peer rejected the arguments of {callDescription}: {error.Message}"),
        ErrorCodes.Cancelled => new OperationCanceledException($"The peer cancelled {callDescription}: {error.Message}"),
        ErrorCodes.Overloaded => new IpcOverloadedException($"{callDescription} was refused: {error.Message}"),
        _ => new RemoteInvocationException(thrower, error.Type, error.Message, error.Stack, error.ErrorCode),
    };
}
