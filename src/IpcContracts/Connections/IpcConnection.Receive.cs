using System.Buffers;
using System.Text;
using IpcContracts.Connections;
using IpcContracts.Diagnostics;
using IpcContracts.Protocol;

namespace IpcContracts;

public sealed partial class IpcConnection
{
    /// <summary>Upper bound of a Hello frame's payload, whatever the configured payload limit.</summary>
    internal const int MaxHelloLength = 4 * 1024 * 1024;

    private async Task ReadLoopAsync()
    {
        var input = _transport.Input;
        Exception reason;
        try
        {
            while (true)
            {
                var result = await input.ReadAsync(_lifetime.Token).ConfigureAwait(false);
                var buffer = result.Buffer;
                try
                {
                    while (TryReadFrame(ref buffer, out var header, out var payload))
                        HandleFrame(header, payload);
                }
                finally
                {
                    input.AdvanceTo(buffer.Start, buffer.End);
                }
                if (result.IsCompleted || result.IsCanceled)
                {
                    if (!buffer.IsEmpty)
                        throw new IpcProtocolException(ProtocolError.Truncated, $"The stream from {PeerDescription} ended inside a frame.");
                    reason = new ChannelFaultedException(_goodbyeReceived
                        ? $"The peer {PeerDescription} closed the connection."
                        : $"The connection to {PeerDescription} was lost (the peer process ended or closed its end).");
                    break;
                }
            }
        }
        catch (IpcProtocolException e)
        {
            // Tell the peer why before hanging up; connection-level errors use correlation ID 0.
            TrySend(ErrorFrames.Build(new FrameHeaderTemplate(FrameKind.Error, FrameFlags.None, 0, 0, 0),
                new ErrorPayload { Code = ErrorCodes.Protocol, Type = typeof(IpcProtocolException).FullName!, Message = e.Message }));
            reason = new ChannelFaultedException($"Protocol error from {PeerDescription}: {e.Message}", e);
        }
        catch (OperationCanceledException) when (_lifetime.IsCancellationRequested)
        {
            reason = new ChannelFaultedException($"The connection to {PeerDescription} was closed by this process.");
        }
        catch (Exception e)
        {
            reason = new ChannelFaultedException($"The connection to {PeerDescription} was lost: {e.Message}", e);
        }
        Fault(reason);
    }

    private bool TryReadFrame(ref ReadOnlySequence<byte> buffer, out FrameHeader header, out ReadOnlySequence<byte> payload)
    {
        payload = default;
        header = default;
        if (buffer.Length < FrameHeader.Size) return false;
        Span<byte> headerBytes = stackalloc byte[FrameHeader.Size];
        buffer.Slice(0, FrameHeader.Size).CopyTo(headerBytes);
        // Validated (including the length limit) before we wait for or touch the payload.
        // Until the handshake only Hello is legal; a manifest may exceed a deliberately small payload limit.
        var limit = _peer is null ? Math.Max(Options.MaxPayloadLength, MaxHelloLength) : Options.MaxPayloadLength;
        header = FrameHeader.Read(headerBytes, limit);
        if (buffer.Length - FrameHeader.Size < header.PayloadLength) return false;
        payload = buffer.Slice(FrameHeader.Size, header.PayloadLength);
        buffer = buffer.Slice(FrameHeader.Size + header.PayloadLength);
        IpcTelemetry.BytesReceived(FrameHeader.Size + header.PayloadLength);
        return true;
    }

    private void HandleFrame(in FrameHeader header, in ReadOnlySequence<byte> payload)
    {
        if (_peer is null && header.Kind != FrameKind.Hello && !(header.Kind == FrameKind.Error && header.CorrelationId == 0))
            throw new IpcProtocolException(ProtocolError.UnexpectedFrame, $"Expected Hello as the first frame, received {header.Kind}.");
        switch (header.Kind)
        {
            case FrameKind.Hello:
                OnHello(payload);
                break;
            case FrameKind.Request:
                OnRequest(header, payload);
                break;
            case FrameKind.Response:
                if (TakePending(header, expectPing: false) is { } done) done.Complete(payload);
                break;
            case FrameKind.Error:
                OnError(header, payload);
                break;
            case FrameKind.Cancel:
                if (_inbound.TryGetValue(header.CorrelationId, out var cancelled)) cancelled.Cancel();
                break;
            case FrameKind.Event:
                OnEvent(header, payload);
                break;
            case FrameKind.Ping:
                TrySend(FrameBuilder.Empty(new FrameHeaderTemplate(FrameKind.Pong, FrameFlags.None, 0, 0, header.CorrelationId)));
                break;
            case FrameKind.Pong:
                if (TakePending(header, expectPing: true) is { } ping) ping.Complete(default);
                break;
            case FrameKind.Goodbye:
                _goodbyeReceived = true;
                var bye = new ChannelFaultedException($"The peer {PeerDescription} closed the connection.");
                foreach (var id in _pending.Keys)
                    if (_pending.TryRemove(id, out var call)) call.Fail(bye);
                break;
            case FrameKind.Subscribe:
                _peerSubscriptions[new SubscriptionKey((header.Flags & FrameFlags.Bus) != 0, header.ContractId)] = 0;
                break;
            case FrameKind.Unsubscribe:
                _peerSubscriptions.TryRemove(new SubscriptionKey((header.Flags & FrameFlags.Bus) != 0, header.ContractId), out _);
                break;
        }
    }

    /// <summary>The pending call a Response/Error/Pong answers; a reply of the wrong kind is a protocol error.</summary>
    private PendingCall? TakePending(in FrameHeader header, bool expectPing)
    {
        if (!_pending.TryGetValue(header.CorrelationId, out var call)) return null; // late reply to a cancelled call
        if (call.IsPing != expectPing)
            throw new IpcProtocolException(ProtocolError.UnexpectedFrame,
                $"{header.Kind} frame for correlation ID {header.CorrelationId}, which is a {(call.IsPing ? "Ping" : "Request")}.");
        return _pending.TryRemove(new KeyValuePair<ulong, PendingCall>(header.CorrelationId, call)) ? call : null;
    }

    private void OnHello(in ReadOnlySequence<byte> payload)
    {
        if (_peer is not null)
            throw new IpcProtocolException(ProtocolError.UnexpectedFrame, "The peer sent a second Hello.");
        var manifest = Manifest.Parse(payload);
        if (manifest.Protocol != FrameHeader.CurrentVersion)
            throw new IpcProtocolException(ProtocolError.UnsupportedVersion,
                $"The peer's manifest is for protocol version {manifest.Protocol}; this side speaks version {FrameHeader.CurrentVersion}.");
        foreach (var id in manifest.Subscribes) _peerSubscriptions[new SubscriptionKey(false, id)] = 0;
        foreach (var id in manifest.BusSubscribes) _peerSubscriptions[new SubscriptionKey(true, id)] = 0;
        _peer = new PeerManifest(manifest);
        _handshake.TrySetResult(_peer);
        IpcTelemetry.ConnectionOpened(this);
    }

    private void OnError(in FrameHeader header, in ReadOnlySequence<byte> payload)
    {
        ErrorPayload error;
        try
        {
            error = ErrorPayload.Parse(payload);
        }
        catch (IpcProtocolException e)
        {
            error = new ErrorPayload { Code = ErrorCodes.Remote, Type = "unknown", Message = $"(unreadable error payload: {e.Message})" };
        }
        if (header.CorrelationId == 0)
        {
            // The peer is about to hang up on us; keep its reason for every pending call.
            Fault(new ChannelFaultedException($"The peer {PeerDescription} reported a protocol error and closed the connection: {error.Message}"));
            return;
        }
        if (TakePending(header, expectPing: false) is { } call)
            call.Fail(ErrorFrames.ToException(error, call.Description));
    }

    private void OnRequest(in FrameHeader header, in ReadOnlySequence<byte> payload)
    {
        if (header.CorrelationId == 0)
            throw new IpcProtocolException(ProtocolError.UnexpectedFrame, "A Request must not use correlation ID 0 (reserved for connection-level errors).");
        if (_inbound.Count >= Options.MaxInFlightRequests)
        {
            TrySend(ErrorFrames.Build(new FrameHeaderTemplate(FrameKind.Error, header.Flags & ~FrameFlags.TraceContext, header.ContractId, header.MethodId, header.CorrelationId),
                new ErrorPayload
                {
                    Code = ErrorCodes.Overloaded, Type = typeof(IpcOverloadedException).FullName!,
                    Message = $"The peer already runs {Options.MaxInFlightRequests} requests from this connection (IpcOptions.MaxInFlightRequests).",
                }));
            return;
        }
        if (_local.Draining)
        {
            TrySend(ErrorFrames.Build(new FrameHeaderTemplate(FrameKind.Error, header.Flags & ~FrameFlags.TraceContext, header.ContractId, header.MethodId, header.CorrelationId),
                new ErrorPayload { Code = ErrorCodes.Overloaded, Type = typeof(IpcOverloadedException).FullName!, Message = $"The server ({Options.ProcessName}) is shutting down." }));
            return;
        }
        var body = payload;
        var parent = default(System.Diagnostics.ActivityContext);
        if ((header.Flags & FrameFlags.TraceContext) != 0 && !IpcTelemetry.TryStripTraceContext(this, header, ref body, out parent, out var prefixError))
        {
            // A malformed prefix fails this call only (bad_payload), like arguments that do not parse.
            TrySend(ErrorFrames.Build(new FrameHeaderTemplate(FrameKind.Error, header.Flags & ~FrameFlags.TraceContext, header.ContractId, header.MethodId, header.CorrelationId),
                new ErrorPayload { Code = ErrorCodes.BadPayload, Type = typeof(IpcProtocolException).FullName!, Message = $"Bad trace-context prefix: {prefixError}." }));
            return;
        }
        var request = new InboundRequest(this, header, body, _lifetime.Token);
        if (!_inbound.TryAdd(header.CorrelationId, request))
            throw new IpcProtocolException(ProtocolError.UnexpectedFrame, $"Correlation ID {header.CorrelationId} is already in use by a call in flight.");
        var previous = IpcCallContext.Enter(this);
        using var telemetry = IpcTelemetry.StartServerCall(this, request, header, parent);
        try
        {
            var pending = Dispatch(request, header);
            if (pending.IsCompleted)
            {
                pending.GetAwaiter().GetResult();
                if (!request.HasReplied) request.Fail(new InvalidOperationException("The handler completed without a reply."));
            }
            else _ = ObserveAsync(pending, request);
        }
        catch (Exception e)
        {
            request.Fail(e);
        }
        finally
        {
            IpcCallContext.Exit(previous);
            request.ReleasePayload();
        }
    }

    private ValueTask Dispatch(InboundRequest request, in FrameHeader header)
    {
        if ((header.Flags & FrameFlags.Bus) != 0)
        {
            var bus = _local.FindBusRequestHandler(header.MethodId)
                ?? throw new ContractMismatchException("$bus", MessageTypeRegistryName(header.MethodId),
                    $"This process ({Options.ProcessName}) has no request handler for message type {MessageTypeRegistryName(header.MethodId)}.")
                { IsDispatchFailure = true };
            return bus.DispatchAsync(request);
        }
        if (_local.FindRawHandler(header.ContractId, header.MethodId) is { } raw)
            return RunRaw(raw, Untyped.RawJson.CallFor(raw, request), request);
        var handler = _local.FindRequestHandler(header.ContractId)
            ?? throw new ContractMismatchException(Runtime.ContractRegistry.Find(header.ContractId)?.Alias ?? $"0x{header.ContractId:X8}", null,
                $"This process ({Options.ProcessName}) has no handler for contract {Runtime.ContractRegistry.Find(header.ContractId)?.Alias ?? $"0x{header.ContractId:X8}"}.")
            { IsDispatchFailure = true };
        return handler.DispatchAsync(request);
    }

    private static string MessageTypeRegistryName(uint id) => Runtime.MessageTypeRegistry.FindName(id) ?? $"0x{id:X8}";

    private static async ValueTask RunRaw(RawHandlerEntry raw, RawCall call, InboundRequest request)
    {
        var json = await raw.InvokeAsync(call).ConfigureAwait(false);
        if (json is null) request.ReplyEmpty();
        else request.ReplyRaw(Encoding.UTF8.GetBytes(json), raw);
    }

    private static async Task ObserveAsync(ValueTask pending, InboundRequest request)
    {
        try
        {
            await pending.ConfigureAwait(false);
            if (!request.HasReplied) request.Fail(new InvalidOperationException("The handler completed without a reply."));
        }
        catch (Exception e)
        {
            request.Fail(e);
        }
    }

    private void OnEvent(in FrameHeader header, in ReadOnlySequence<byte> payload)
    {
        var bus = (header.Flags & FrameFlags.Bus) != 0;
        var key = new SubscriptionKey(bus, bus ? header.MethodId : header.ContractId);
        var subscribers = _local.GetSubscribers(key);
        if (subscribers.Length == 0) return;
        var body = payload;
        var parent = default(System.Diagnostics.ActivityContext);
        if ((header.Flags & FrameFlags.TraceContext) != 0 && !IpcTelemetry.TryStripTraceContext(this, header, ref body, out parent, out var prefixError))
        {
            _local.Options.ReportEventHandlerException(new IpcProtocolException(ProtocolError.BadPayload, $"An event from {PeerDescription} was dropped: {prefixError}."));
            return;
        }
        if (ContinuationsOnReaderThread && Volatile.Read(ref _queuedEvents) == 0)
        {
            // shm: run subscribers here, on the reader thread, straight from the pipe (no copy, no hop). If one
            // does not finish synchronously, later events queue behind it, so each subscriber still sees order.
            if (DeliverInline(subscribers, key, header.MethodId, body, parent) is { } stillRunning)
                Enqueue(new QueuedEvent(key, header.MethodId, [], 0, parent, stillRunning));
            return;
        }
        // Events are copied out of the pipe so the reader can go on while subscribers run in order.
        var length = (int)body.Length;
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(length, 1));
        body.CopyTo(buffer);
        if (!Enqueue(new QueuedEvent(key, header.MethodId, buffer, length, parent)))
            ArrayPool<byte>.Shared.Return(buffer);
    }

    private bool Enqueue(QueuedEvent ev)
    {
        Interlocked.Increment(ref _queuedEvents);
        if (_eventQueue.Writer.TryWrite(ev)) return true;
        Interlocked.Decrement(ref _queuedEvents);
        return false;
    }

    /// <summary>Invokes every subscriber; returns a task for those still running, or null when all finished.</summary>
    private Task? DeliverInline(EventSubscriber[] subscribers, SubscriptionKey key, uint methodId, in ReadOnlySequence<byte> payload,
        System.Diagnostics.ActivityContext parent)
    {
        var activityBefore = System.Diagnostics.Activity.Current;
        var telemetry = IpcTelemetry.StartEventReceive(this, key, methodId, parent);
        List<Task>? running = null;
        var previous = IpcCallContext.Enter(this);
        try
        {
            foreach (var subscriber in subscribers)
            {
                ValueTask delivery;
                try
                {
                    delivery = subscriber.DeliverAsync(new InboundEvent(this, methodId, payload, _lifetime.Token));
                }
                catch (Exception e)
                {
                    telemetry.Fail(e);
                    _local.Options.ReportEventHandlerException(e);
                    continue;
                }
                if (!delivery.IsCompletedSuccessfully) (running ??= []).Add(ObserveDeliveryAsync(delivery, telemetry));
            }
        }
        finally
        {
            IpcCallContext.Exit(previous);
        }
        if (running is null)
        {
            telemetry.Dispose();
            return null;
        }
        System.Diagnostics.Activity.Current = activityBefore; // the span ends when the subscribers do
        return FinishDeliveryAsync(running, telemetry);
    }

    private async Task ObserveDeliveryAsync(ValueTask delivery, Diagnostics.EventScope telemetry)
    {
        try
        {
            await delivery.ConfigureAwait(false);
        }
        catch (Exception e)
        {
            telemetry.Fail(e);
            _local.Options.ReportEventHandlerException(e);
        }
    }

    private static async Task FinishDeliveryAsync(List<Task> running, Diagnostics.EventScope telemetry)
    {
        await Task.WhenAll(running).ConfigureAwait(false);
        telemetry.Dispose();
    }

    private async Task EventLoopAsync()
    {
        IpcCallContext.EnterEventLoop(this);
        await foreach (var ev in _eventQueue.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            if (ev.Barrier is { } barrier)
            {
                await barrier.ConfigureAwait(false); // never faults: failures were reported where they happened
                Interlocked.Decrement(ref _queuedEvents);
                continue;
            }
            var telemetry = IpcTelemetry.StartEventReceive(this, ev.Key, ev.MethodId, ev.Parent);
            try
            {
                var payload = new ReadOnlySequence<byte>(ev.Buffer, 0, ev.Length);
                foreach (var subscriber in _local.GetSubscribers(ev.Key))
                {
                    try
                    {
                        await subscriber.DeliverAsync(new InboundEvent(this, ev.MethodId, payload, _lifetime.Token)).ConfigureAwait(false);
                    }
                    catch (Exception e)
                    {
                        telemetry.Fail(e);
                        _local.Options.ReportEventHandlerException(e);
                    }
                }
            }
            finally
            {
                telemetry.Dispose();
                ArrayPool<byte>.Shared.Return(ev.Buffer);
                Interlocked.Decrement(ref _queuedEvents);
            }
        }
    }
}
