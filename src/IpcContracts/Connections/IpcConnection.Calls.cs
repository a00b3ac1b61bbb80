using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using IpcContracts.Connections;
using IpcContracts.Diagnostics;
using IpcContracts.Protocol;
using IpcContracts.Runtime;

namespace IpcContracts;

/// <summary>Outbound traffic: calls (typed, untyped, aggregator), pings and events. Every frame leaves through <see cref="FrameSender"/>.</summary>
public sealed partial class IpcConnection
{
    /// <summary>Builds the Request frame of a call once its correlation ID is known.</summary>
    private delegate OutgoingFrame RequestFrame<TState>(in TState state, ulong correlationId, int maxPayload);

    /// <summary>Queues a frame on the send path. False (frame released) if the connection no longer sends.</summary>
    internal bool TrySend(OutgoingFrame frame) => _sender.TrySend(frame);

    /// <inheritdoc cref="FrameSender.TrySendSoon"/>
    internal bool TrySendSoon(OutgoingFrame frame) => _sender.TrySendSoon(frame);

    internal void SendCancel(ulong correlationId) =>
        TrySend(FrameBuilder.Empty(new FrameHeaderTemplate(FrameKind.Cancel, FrameFlags.None, 0, 0, correlationId)));

    internal bool TryRemovePending(PendingCall call) => TryRemovePending(call.Id, call);

    internal bool TryRemovePending(ulong id, PendingCall call) =>
        _pending.TryRemove(new KeyValuePair<ulong, PendingCall>(id, call));

    internal void CompleteInbound(InboundRequest request) =>
        _inbound.TryRemove(new KeyValuePair<ulong, InboundRequest>(request.CorrelationId, request));

    /// <summary>
    /// The one start-up of every outbound call: span, frame, registration, deadline, send. The deadline and the
    /// caller's token are armed before the first byte is queued, so a call whose Request cannot leave (a full
    /// ring, a stalled peer) still ends in time. The deadline is resolved here, once per call: the caller's
    /// <see cref="IpcCall.WithTimeout"/> scope, else <paramref name="methodTimeout"/> (a typed method's
    /// <c>[ContractMethod(TimeoutMilliseconds)]</c>; null for untyped, bus and ping calls, which have no descriptor),
    /// else <see cref="IpcOptions.DefaultCallTimeout"/> (<see cref="CallTimeout"/>).
    /// </summary>
    private Task<T> StartCall<T, TState>(PendingCall<T> call, string service, string method, in TState state, RequestFrame<TState> build,
        CancellationToken cancellationToken, TimeSpan? methodTimeout)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            call.ReturnUnused();
            return Task.FromCanceled<T>(cancellationToken);
        }
        var task = call.Task; // taken first: once started, the call may complete and be reused at any time after LetGo
        if (Launch(call, service, method, state, build, cancellationToken, methodTimeout) is { } error)
        {
            call.ReturnUnused();
            return Task.FromException<T>(error);
        }
        call.LetGo();
        return task;
    }

    /// <summary>
    /// <see cref="StartCall"/> for either kind of call. Null once the call is registered (whatever happens next completes
    /// it), else why it could not start (its Request could not be built): the call was never registered.
    /// </summary>
    private Exception? Launch<TState>(PendingCall call, string service, string method, in TState state, RequestFrame<TState> build,
        CancellationToken cancellationToken, TimeSpan? methodTimeout)
    {
        using var telemetry = call.IsPing ? default : IpcTelemetry.StartClientCall(this, call, service, method);
        OutgoingFrame frame;
        try
        {
            frame = build(state, call.Id, Options.MaxPayloadLength);
        }
        catch (Exception e)
        {
            call.Telemetry?.Complete(e);
            return e;
        }
        // Read before the frame is queued (once sent and released it may be reused); set before the call is registered
        // and armed, so every path that completes it holds the outcome back while the frame reads the caller's memory.
        if (frame.Borrowed is BorrowedArgument borrowed) call.Borrowing(borrowed);
        _pending[call.Id] = call;
        var timeout = CallTimeout.Resolve(methodTimeout, Options);
        TimerResolutionFor(timeout);
        call.Arm(cancellationToken, timeout);
        if (_callOrigins && !call.IsPing && IpcCallContext.InboundCallOn(this) is var origin and not 0)
            _transport.RequestIssued(call.Id, origin); // a broker routes a handler's call back to its caller (TransportFeatures.CallOrigins)
        if (!TrySend(frame))
        {
            if (TryRemovePending(call)) call.FailAtStart(FaultOrClosed());
            return null;
        }
        call.MarkQueued();
        if (Volatile.Read(ref _fault) is { } fault && TryRemovePending(call))
            call.FailAtStart(fault); // lost the race with Fault(): it may have missed this call
        return null;
    }

    /// <summary>Why a typed call cannot start: the connection's fault, or the peer's manifest refusing the method; null if it can.</summary>
    private Exception? CannotCall(MethodDescriptor method) => Volatile.Read(ref _fault) ?? (Exception?)Peer.CheckRequest(method);

    private Exception FaultOrClosed() =>
        Volatile.Read(ref _fault) ?? new ChannelFaultedException($"The connection to {PeerDescription} is closed.");

    /// <summary>Measures one Ping/Pong round trip.</summary>
    public Task<TimeSpan> PingAsync(CancellationToken cancellationToken = default)
    {
        var start = System.Diagnostics.Stopwatch.GetTimestamp();
        var call = new PendingCall<bool>(this, NextId(), "ping", null, ResultMode.None) { IsPing = true };
        var sent = StartCall(call, "ping", "ping", 0, static (in int _, ulong id, int _) =>
            FrameBuilder.Empty(new FrameHeaderTemplate(FrameKind.Ping, FrameFlags.None, 0, 0, id)), cancellationToken, methodTimeout: null);
        return Elapsed(sent, start);

        static async Task<TimeSpan> Elapsed(Task sent, long start)
        {
            await sent.ConfigureAwait(false);
            return System.Diagnostics.Stopwatch.GetElapsedTime(start);
        }
    }

    /// <inheritdoc />
    Task<TResult> IOutboundChannel.RequestAsync<TArgs, TResult>(MethodDescriptor method, TArgs args, ArgsWriter<TArgs> writeArgs,
        JsonTypeInfo<TResult> resultType, CancellationToken cancellationToken)
    {
        if (CannotCall(method) is { } error) return Task.FromException<TResult>(error);
        var call = PendingCall<TResult>.Rent(this, NextId(), method.Description, resultType, ResultMode.Json);
        return StartCall(call, method.Contract.Alias, method.Name, (method, args, writeArgs), TypedRequest, cancellationToken, method.CallTimeout);
    }

    /// <inheritdoc />
    ValueTask<TResult> IOutboundChannel.RequestValueAsync<TArgs, TResult>(MethodDescriptor method, TArgs args, ArgsWriter<TArgs> writeArgs,
        JsonTypeInfo<TResult> resultType, CancellationToken cancellationToken)
    {
        if (CannotCall(method) is { } error) return ValueTask.FromException<TResult>(error);
        if (cancellationToken.IsCancellationRequested) return ValueTask.FromCanceled<TResult>(cancellationToken);
        var call = PooledCall<TResult>.Rent(this, NextId(), method.Description, resultType);
        var result = call.Result; // taken before the call can complete (and, read by its caller, be reused)
        if (Launch(call, method.Contract.Alias, method.Name, (method, args, writeArgs), TypedRequest, cancellationToken, method.CallTimeout) is not { } failure)
            return result;
        call.ReturnUnused();
        return ValueTask.FromException<TResult>(failure);
    }

    /// <inheritdoc />
    ValueTask IOutboundChannel.RequestValueAsync<TArgs>(MethodDescriptor method, TArgs args, ArgsWriter<TArgs> writeArgs, CancellationToken cancellationToken)
    {
        if (CannotCall(method) is { } error) return ValueTask.FromException(error);
        if (cancellationToken.IsCancellationRequested) return ValueTask.FromCanceled(cancellationToken);
        var call = PooledCall<NoArgs>.Rent(this, NextId(), method.Description, typeInfo: null);
        var done = call.Done;
        if (Launch(call, method.Contract.Alias, method.Name, (method, args, writeArgs), TypedRequest, cancellationToken, method.CallTimeout) is not { } failure)
            return done;
        call.ReturnUnused();
        return ValueTask.FromException(failure);
    }

    /// <inheritdoc />
    Task IOutboundChannel.RequestAsync<TArgs>(MethodDescriptor method, TArgs args, ArgsWriter<TArgs> writeArgs, CancellationToken cancellationToken)
    {
        if (CannotCall(method) is { } error) return Task.FromException(error);
        var call = PendingCall<object?>.Rent(this, NextId(), method.Description, null, ResultMode.None);
        return StartCall(call, method.Contract.Alias, method.Name, (method, args, writeArgs), TypedRequest, cancellationToken, method.CallTimeout);
    }

    /// <inheritdoc />
    Task<TResult> IOutboundChannel.RequestAsync<TArgs, TResult, TProgress>(MethodDescriptor method, TArgs args, ArgsWriter<TArgs> writeArgs,
        JsonTypeInfo<TResult> resultType, IProgress<TProgress>? progress, JsonTypeInfo<TProgress> progressType, CancellationToken cancellationToken)
    {
        if (CannotCall(method) is { } error) return Task.FromException<TResult>(error);
        var call = new PendingCall<TResult>(this, NextId(), method.Description, resultType, ResultMode.Json)
        {
            Progress = ProgressSinkFor(progress, progressType, method),
        };
        return StartCall(call, method.Contract.Alias, method.Name, (method, args, writeArgs), TypedRequest, cancellationToken, method.CallTimeout);
    }

    /// <inheritdoc />
    Task IOutboundChannel.RequestAsync<TArgs, TProgress>(MethodDescriptor method, TArgs args, ArgsWriter<TArgs> writeArgs,
        IProgress<TProgress>? progress, JsonTypeInfo<TProgress> progressType, CancellationToken cancellationToken)
    {
        if (CannotCall(method) is { } error) return Task.FromException(error);
        var call = new PendingCall<object?>(this, NextId(), method.Description, null, ResultMode.None)
        {
            Progress = ProgressSinkFor(progress, progressType, method),
        };
        return StartCall(call, method.Contract.Alias, method.Name, (method, args, writeArgs), TypedRequest, cancellationToken, method.CallTimeout);
    }

    /// <inheritdoc />
    Task<TResult> IOutboundChannel.RequestStreamingAsync<TArgs, TResult, TArgItem>(MethodDescriptor method, TArgs args, ArgsWriter<TArgs> writeArgs,
        JsonTypeInfo<TResult> resultType, IAsyncEnumerable<TArgItem> argumentItems, JsonTypeInfo<TArgItem> argumentItemType, CancellationToken cancellationToken)
    {
        if (CannotCall(method) is { } error) return Task.FromException<TResult>(error);
        return StartUpstreamCall(new PendingCall<TResult>(this, NextId(), method.Description, resultType, ResultMode.Json),
            method, args, writeArgs, argumentItems, argumentItemType, cancellationToken);
    }

    /// <inheritdoc />
    Task IOutboundChannel.RequestStreamingAsync<TArgs, TArgItem>(MethodDescriptor method, TArgs args, ArgsWriter<TArgs> writeArgs,
        IAsyncEnumerable<TArgItem> argumentItems, JsonTypeInfo<TArgItem> argumentItemType, CancellationToken cancellationToken)
    {
        if (CannotCall(method) is { } error) return Task.FromException(error);
        return StartUpstreamCall(new PendingCall<object?>(this, NextId(), method.Description, null, ResultMode.None),
            method, args, writeArgs, argumentItems, argumentItemType, cancellationToken);
    }

    /// <inheritdoc />
    Task<TResult> IOutboundChannel.RequestStreamingAsync<TArgs, TResult, TArgItem, TProgress>(MethodDescriptor method, TArgs args,
        ArgsWriter<TArgs> writeArgs, JsonTypeInfo<TResult> resultType, IAsyncEnumerable<TArgItem> argumentItems, JsonTypeInfo<TArgItem> argumentItemType,
        IProgress<TProgress>? progress, JsonTypeInfo<TProgress> progressType, CancellationToken cancellationToken)
    {
        if (CannotCall(method) is { } error) return Task.FromException<TResult>(error);
        var call = new PendingCall<TResult>(this, NextId(), method.Description, resultType, ResultMode.Json)
        {
            Progress = ProgressSinkFor(progress, progressType, method),
        };
        return StartUpstreamCall(call, method, args, writeArgs, argumentItems, argumentItemType, cancellationToken);
    }

    /// <inheritdoc />
    Task IOutboundChannel.RequestStreamingAsync<TArgs, TArgItem, TProgress>(MethodDescriptor method, TArgs args, ArgsWriter<TArgs> writeArgs,
        IAsyncEnumerable<TArgItem> argumentItems, JsonTypeInfo<TArgItem> argumentItemType,
        IProgress<TProgress>? progress, JsonTypeInfo<TProgress> progressType, CancellationToken cancellationToken)
    {
        if (CannotCall(method) is { } error) return Task.FromException(error);
        var call = new PendingCall<object?>(this, NextId(), method.Description, null, ResultMode.None)
        {
            Progress = ProgressSinkFor(progress, progressType, method),
        };
        return StartUpstreamCall(call, method, args, writeArgs, argumentItems, argumentItemType, cancellationToken);
    }

    /// <summary>Where a call's progress reports go: the caller's IProgress, or nowhere (reports dropped) when it passed none.</summary>
    private ProgressSink<TProgress>? ProgressSinkFor<TProgress>(IProgress<TProgress>? progress, JsonTypeInfo<TProgress> progressType, MethodDescriptor method) =>
        progress is null ? null : new ProgressSink<TProgress>(this, progress, progressType, method.Description);

    /// <summary>
    /// A call with an argument stream (and, when <paramref name="call"/> has a progress sink, progress): the pump is
    /// registered before the Request is queued and started once it is, and it stops when the call ends.
    /// </summary>
    private Task<T> StartUpstreamCall<T, TArgs, TArgItem>(PendingCall<T> call, MethodDescriptor method, TArgs args, ArgsWriter<TArgs> writeArgs,
        IAsyncEnumerable<TArgItem> argumentItems, JsonTypeInfo<TArgItem> argumentItemType, CancellationToken cancellationToken)
    {
        var pump = RegisterUpstream(call.Id, method, argumentItems, argumentItemType);
        var task = StartCall(call, method.Contract.Alias, method.Name, (method, args, writeArgs), TypedRequest, cancellationToken, method.CallTimeout);
        RunUpstream(call.Id, pump, task);
        return task;
    }

    /// <inheritdoc />
    IAsyncEnumerable<TItem> IOutboundChannel.Stream<TArgs, TItem, TArgItem>(MethodDescriptor method, TArgs args, ArgsWriter<TArgs> writeArgs,
        JsonTypeInfo<TItem> itemType, IAsyncEnumerable<TArgItem> argumentItems, JsonTypeInfo<TArgItem> argumentItemType, CancellationToken cancellationToken) =>
        new BothWays<TArgs, TItem, TArgItem>(this, method, args, writeArgs, itemType, argumentItems, argumentItemType, cancellationToken);

    private sealed class BothWays<TArgs, TItem, TArgItem>(IpcConnection connection, MethodDescriptor method, TArgs args, ArgsWriter<TArgs> writeArgs,
        JsonTypeInfo<TItem> itemType, IAsyncEnumerable<TArgItem> argumentItems, JsonTypeInfo<TArgItem> argumentItemType, CancellationToken methodToken)
        : IAsyncEnumerable<TItem>
    {
        public IAsyncEnumerator<TItem> GetAsyncEnumerator(CancellationToken cancellationToken = default)
        {
            IUpstream? pump = null;
            var results = connection.StartStream(method, args, writeArgs, itemType, methodToken, cancellationToken,
                beforeSend: id => pump = connection.RegisterUpstream(id, method, argumentItems, argumentItemType));
            if (pump is not null && results is StreamCall<TItem> call) connection.RunUpstream(call.Id, pump, call.Ended);
            return results;
        }
    }

    /// <summary>
    /// Registers an argument-stream pump under its call's ID *before* the Request is queued: the handler may grant credit
    /// as soon as the Request arrives, and a grant for an unknown ID is dropped (the stream would then never start).
    /// </summary>
    private IUpstream RegisterUpstream<TArgItem>(ulong callId, MethodDescriptor method, IAsyncEnumerable<TArgItem> items, JsonTypeInfo<TArgItem> itemType)
    {
        var pump = new UpstreamPump<TArgItem>(this, callId,
            new FrameHeaderTemplate(FrameKind.Request, FrameFlags.None, method.Contract.Id, method.Id, callId), items, itemType);
        _upstreams[callId] = pump;
        return pump;
    }

    /// <summary>Starts a registered pump on the pool (the user's enumerable never runs on the caller's or the reader's thread); it stops when the call ends.</summary>
    private void RunUpstream(ulong callId, IUpstream pump, Task callEnded)
    {
        if (callEnded.IsCompleted)
        {
            RemoveUpstream(callId, pump); // the call never started (or is already over): nothing to send
            return;
        }
        _ = callEnded.ContinueWith(static (_, p) => ((IUpstream)p!).Stop(), pump, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        _ = Task.Run(pump.RunAsync);
    }

    internal void RemoveUpstream(ulong callId, IUpstream pump) => _upstreams.TryRemove(new KeyValuePair<ulong, IUpstream>(callId, pump));

    /// <summary>
    /// Queues a handler's progress report. Reports are droppable like DropOldest events: when the connection's event
    /// bound is reached, the oldest unsent reports of the same call make room (else the new one is dropped), so a chatty
    /// handler never grows the queue nor closes the connection.
    /// </summary>
    internal void SendProgress(OutgoingFrame frame, ulong correlationId) =>
        _sender.TrySendEvent(frame, (1UL << 63) | correlationId, new EventOverflow(EventOverflowPolicy.DropOldest, Options.Events.MaxQueuedBytes, TimeSpan.Zero));

    /// <summary>
    /// The Request of a typed call started by <see cref="Launch"/>: a large binary argument is borrowed, not copied (the
    /// call holds its completion until the frame is written or dropped: <see cref="BorrowedArgument"/>).
    /// </summary>
    private static OutgoingFrame TypedRequest<TArgs>(in (MethodDescriptor Method, TArgs Args, ArgsWriter<TArgs> Write) s, ulong id, int maxPayload) =>
        FrameBuilder.Args(new FrameHeaderTemplate(FrameKind.Request, FrameFlags.None, s.Method.Contract.Id, s.Method.Id, id), s.Args, s.Write, maxPayload,
            borrowBinary: true);

    /// <inheritdoc />
    IAsyncEnumerable<TItem> IOutboundChannel.Stream<TArgs, TItem>(MethodDescriptor method, TArgs args, ArgsWriter<TArgs> writeArgs,
        JsonTypeInfo<TItem> itemType, CancellationToken cancellationToken) =>
        new StreamRequest<TArgs, TItem>(this, method, args, writeArgs, itemType, cancellationToken);

    /// <summary>
    /// Starts one enumeration of a stream result: the Request, then the first credit grant right behind it. Like
    /// <see cref="StartCall"/>, the token is armed before the first byte is queued; a stream has no overall deadline,
    /// only one between items while its consumer waits (<see cref="StreamCall{T}"/>), resolved here like a call's
    /// (scope, method, default) when the enumeration starts.
    /// </summary>
    internal IAsyncEnumerator<TItem> StartStream<TArgs, TItem>(MethodDescriptor method, TArgs args, ArgsWriter<TArgs> writeArgs,
        JsonTypeInfo<TItem> itemType, CancellationToken methodToken, CancellationToken enumeratorToken, Action<ulong>? beforeSend = null)
    {
        var itemTimeout = CallTimeout.Resolve(method.CallTimeout, Options);
        var call = new StreamCall<TItem>(this, NextId(), method.Description, itemType, enumeratorToken, itemTimeout);
        // A stream call copies its binary argument: an enumeration has no single completion that could wait for the
        // frame to be written, so the caller could not know when its buffer is free again.
        return LaunchStream(call, itemTimeout, CannotCall(method), method.Contract.Alias, method.Name, (method, args, writeArgs),
            static (in (MethodDescriptor Method, TArgs Args, ArgsWriter<TArgs> Write) s, ulong id, int maxPayload) =>
                FrameBuilder.Args(new FrameHeaderTemplate(FrameKind.Request, FrameFlags.None, s.Method.Contract.Id, s.Method.Id, id), s.Args, s.Write, maxPayload),
            methodToken, beforeSend);
    }

    /// <summary>
    /// The untyped stream call of one enumeration of <see cref="InvokeRawStream"/>: checked as <see cref="InvokeRawAsync"/>
    /// is (a failure is thrown by the first <c>MoveNextAsync</c>), then launched as a typed stream is.
    /// </summary>
    internal IAsyncEnumerator<string> StartRawStream(string contractAlias, string method, string argumentsJson, CancellationToken methodToken,
        CancellationToken enumeratorToken)
    {
        var itemTimeout = CallTimeout.Resolve(null, Options);
        var call = new StreamCall<string>(this, NextId(), $"{contractAlias}.{method}", null, enumeratorToken, itemTimeout);
        var error = CheckRawCall(contractAlias, method, argumentsJson, stream: true, out var request);
        return LaunchStream(call, itemTimeout, error, contractAlias, method, request, RawRequest, methodToken, beforeSend: null);
    }

    /// <summary>
    /// Launches one enumeration of a stream result whose call is built: its Request (from <paramref name="build"/>), then
    /// the first credit grant right behind it; <paramref name="cannotCall"/> fails it instead.
    /// </summary>
    private StreamCall<TItem> LaunchStream<TItem, TState>(StreamCall<TItem> call, CallTimeout itemTimeout, Exception? cannotCall, string service,
        string method, in TState state, RequestFrame<TState> build, CancellationToken methodToken, Action<ulong>? beforeSend)
    {
        var token = call.Token(methodToken);
        if (cannotCall is not null) { call.Fail(cannotCall); return call; }
        if (token.IsCancellationRequested) { call.Fail(new OperationCanceledException(token)); return call; }
        using var telemetry = IpcTelemetry.StartClientCall(this, call, service, method);
        OutgoingFrame frame;
        try
        {
            frame = build(state, call.Id, Options.MaxPayloadLength);
        }
        catch (Exception e)
        {
            call.Fail(e);
            return call;
        }
        _pending[call.Id] = call;
        TimerResolutionFor(itemTimeout);
        call.Arm(token, CallTimeout.None);
        beforeSend?.Invoke(call.Id);
        if (!TrySend(frame))
        {
            if (TryRemovePending(call)) call.Fail(FaultOrClosed());
            return call;
        }
        call.MarkQueued();
        TrySend(call.InitialCredit());
        if (Volatile.Read(ref _fault) is { } late && TryRemovePending(call))
            call.Fail(late); // lost the race with Fault(): it may have missed this call
        return call;
    }

    /// <summary>
    /// Untyped call for tools: names the contract alias and method, passes the argument object as
    /// JSON text and returns the result as JSON text (the text <c>null</c> for methods without a result).
    /// </summary>
    public Task<string> InvokeRawAsync(string contractAlias, string method, string argumentsJson = "{}", CancellationToken cancellationToken = default)
    {
        if (CheckRawCall(contractAlias, method, argumentsJson, stream: false, out var request) is { } error) return Task.FromException<string>(error);
        var call = new PendingCall<string>(this, NextId(), $"{contractAlias}.{method}", null, ResultMode.RawText);
        return StartCall(call, contractAlias, method, request, RawRequest, cancellationToken, methodTimeout: null);
    }

    /// <summary>The Request of an untyped call: the argument object's bytes as the caller gave them.</summary>
    private static OutgoingFrame RawRequest(in (uint Contract, uint Method, byte[] Bytes) s, ulong id, int maxPayload) =>
        FrameBuilder.Raw(new FrameHeaderTemplate(FrameKind.Request, FrameFlags.None, s.Contract, s.Method, id), s.Bytes, maxPayload);

    /// <summary>
    /// What an untyped call (<see cref="InvokeRawAsync"/>, or <see cref="InvokeRawStream"/> with <paramref name="stream"/>)
    /// cannot be, before anything is sent: the connection's fault, a name the peer does not have, a method whose result
    /// is (or is not) a stream, one that takes a stream, arguments that are not one JSON object. Null when it can be made,
    /// with the Request's IDs and argument bytes.
    /// </summary>
    private Exception? CheckRawCall(string contractAlias, string method, string argumentsJson, bool stream,
        out (uint Contract, uint Method, byte[] Bytes) request)
    {
        request = (0, 0, []);
        if (Volatile.Read(ref _fault) is { } fault) return fault;
        if (Peer.Resolve(contractAlias, method, out var mismatch) is not { } ids) return mismatch!;
        // InvokeRawAsync reads exactly one reply; a stream's producer would wait for credit that never comes.
        if (PeerManifest.ReturnsStream(ids.Signature) != stream)
            return new ContractMismatchException(contractAlias, method, stream
                ? $"'{contractAlias}.{method}' does not return a stream; call it with InvokeRawAsync (`ipc call` does either)."
                : $"'{contractAlias}.{method}' returns a stream (IAsyncEnumerable<T>, Stream or PipeReader); InvokeRawAsync reads one reply, so read its items with InvokeRawStream.");
        // Neither sends a stream: the handler would wait for items that never come, until the call's timeout.
        if (PeerManifest.TakesStream(ids.Signature))
            return new ContractMismatchException(contractAlias, method,
                $"'{contractAlias}.{method}' takes a stream (an IAsyncEnumerable<T>, Stream or PipeReader parameter); untyped calls send one argument object and no stream, so call it through a typed proxy.");
        var bytes = Encoding.UTF8.GetBytes(argumentsJson);
        if (!IsJsonObject(bytes)) return new ArgumentException("argumentsJson must be a JSON object such as {\"sku\":\"A-1\"}.", nameof(argumentsJson));
        request = (ids.ContractId, ids.MethodId, bytes);
        return null;
    }

    internal Task<TResponse> RequestBusAsync<TRequest, TResponse>(MessageType<TRequest> request, MessageType<TResponse> response, TRequest value,
        CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _fault) is { } fault) return Task.FromException<TResponse>(fault);
        if (Peer.CheckBusRequest(request.Id, request.Name, BusFingerprint.Of(request.Name, response.Name)) is { } mismatch)
            return Task.FromException<TResponse>(mismatch);
        var call = new PendingCall<TResponse>(this, NextId(), request.Name, response.TypeInfo, ResultMode.Json);
        return StartCall(call, "$bus", request.Name, (request, value),
            static (in (MessageType<TRequest> Type, TRequest Value) s, ulong id, int maxPayload) =>
                FrameBuilder.Value(new FrameHeaderTemplate(FrameKind.Request, FrameFlags.Bus, 0, s.Type.Id, id), s.Value, s.Type.TypeInfo, maxPayload),
            cancellationToken, methodTimeout: null);
    }

    /// <inheritdoc />
    void IOutboundChannel.Publish<TArgs>(MethodDescriptor method, TArgs args, ArgsWriter<TArgs> writeArgs)
    {
        if (Volatile.Read(ref _fault) is { } fault) throw fault;
        var key = new SubscriptionKey(false, method.Contract.Id);
        if (!PeerSubscribed(key)) return;
        SendEvent(FrameBuilder.Args(new FrameHeaderTemplate(FrameKind.Event, FrameFlags.None, method.Contract.Id, method.Id, 0),
            args, writeArgs, Options.MaxPayloadLength), key);
    }

    /// <summary>Sends an already-built event frame if the peer subscribed to its key (server fan-out shares one frame).</summary>
    internal void SendShared(OutgoingFrame frame, SubscriptionKey key)
    {
        if (!IsConnected || !PeerSubscribed(key)) return;
        frame.AddRef();
        SendEvent(frame, key);
    }

    /// <summary>Queues an event for this peer under the event bound and its contract's overflow policy.</summary>
    private void SendEvent(OutgoingFrame frame, SubscriptionKey key) =>
        _sender.TrySendEvent(frame, FrameSender.DropKey(key.Bus, key.Id), key.Bus ? Options.Events.ForBus() : Options.Events.For(key.Id));

    /// <summary>Untyped event for tools: publishes <paramref name="argumentsJson"/> as event <paramref name="eventName"/> of a contract alias.</summary>
    public void PublishRaw(string contractAlias, string eventName, string argumentsJson = "{}")
    {
        if (Volatile.Read(ref _fault) is { } fault) throw fault;
        if (Peer.Resolve(contractAlias, eventName, out var mismatch) is not { } ids) throw mismatch!;
        var bytes = Encoding.UTF8.GetBytes(argumentsJson);
        if (!IsJsonObject(bytes)) throw new ArgumentException("argumentsJson must be a JSON object.", nameof(argumentsJson));
        var key = new SubscriptionKey(false, ids.ContractId);
        if (!PeerSubscribed(key)) return;
        SendEvent(FrameBuilder.Raw(new FrameHeaderTemplate(FrameKind.Event, FrameFlags.None, ids.ContractId, ids.MethodId, 0), bytes, Options.MaxPayloadLength), key);
    }

    /// <summary>
    /// Untyped call for tools of a method that returns a stream (<c>IAsyncEnumerable&lt;T&gt;</c>, <c>Stream</c> or
    /// <c>PipeReader</c>): names the contract alias and method, passes the argument object as JSON text, and yields each
    /// item as its JSON text (a chunk of bytes, such as a <c>Stream</c>'s, as a base64 JSON string) as it arrives.
    /// Each enumeration is one call, read under the same credit window and per-item deadline as a typed stream;
    /// breaking out of it cancels the producer. A method that does not return a stream, or takes one, fails the first
    /// <c>MoveNextAsync</c> with <see cref="ContractMismatchException"/>; arguments that are not one JSON object with
    /// <see cref="ArgumentException"/>.
    /// </summary>
    public IAsyncEnumerable<string> InvokeRawStream(string contractAlias, string method, string argumentsJson = "{}", CancellationToken cancellationToken = default) =>
        new RawStreamRequest(this, contractAlias, method, argumentsJson, cancellationToken);

    // The same rule an untyped handler applies to what it receives (Untyped/RawJson.cs): one JSON object, nothing after it.
    private static bool IsJsonObject(byte[] json) => Untyped.RawJson.ObjectError(new System.Buffers.ReadOnlySequence<byte>(json)) is null;

    internal bool PeerHandlesBus(uint requestTypeId, ulong fingerprint) =>
        _peer is { } p && p.AdvertisesBusHandler(requestTypeId, fingerprint);
}
