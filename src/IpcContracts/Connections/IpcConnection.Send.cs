using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using IpcContracts.Connections;
using IpcContracts.Diagnostics;
using IpcContracts.Protocol;
using IpcContracts.Runtime;

namespace IpcContracts;

public sealed partial class IpcConnection
{
    /// <summary>
    /// Queues a frame and, if no other thread is writing, writes it on this thread right away: a call
    /// or reply costs no thread hop unless the transport's flush has to wait. False (and the frame
    /// released) if the connection no longer sends.
    /// </summary>
    internal bool TrySend(OutgoingFrame frame)
    {
        if (Volatile.Read(ref _sendCompleted))
        {
            frame.Release();
            return false;
        }
        var queued = Interlocked.Add(ref _queuedBytes, frame.Length);
        if (queued > Options.MaxSendQueueBytes && queued != frame.Length)
        {
            // The peer is not reading. Overflow policy: close this connection, never block the publisher
            // or other connections, never grow without bound.
            Interlocked.Add(ref _queuedBytes, -frame.Length);
            frame.Release();
            var reason = new ChannelFaultedException(
                $"The peer {PeerDescription} is not reading: more than {Options.MaxSendQueueBytes} bytes waited to be sent (IpcOptions.MaxSendQueueBytes), so the connection was closed.");
            ThreadPool.UnsafeQueueUserWorkItem(static s => s.Connection.Fault(s.Reason), (Connection: this, Reason: (Exception)reason), false);
            return false;
        }
        _outgoing.Enqueue(frame);
        IpcTelemetry.BytesSent(frame.Length);
        if (Interlocked.CompareExchange(ref _sending, 1, 0) == 0) Drain();
        return true;
    }

    /// <summary>No more frames are accepted; those queued are still written.</summary>
    private void CompleteSending()
    {
        Volatile.Write(ref _sendCompleted, true);
        if (Interlocked.CompareExchange(ref _sending, 1, 0) == 0) Drain();
    }

    internal void SendCancel(ulong correlationId) =>
        TrySend(FrameBuilder.Empty(new FrameHeaderTemplate(FrameKind.Cancel, FrameFlags.None, 0, 0, correlationId)));

    internal bool TryRemovePending(PendingCall call) =>
        _pending.TryRemove(new KeyValuePair<ulong, PendingCall>(call.Id, call));

    internal void CompleteInbound(InboundRequest request) =>
        _inbound.TryRemove(new KeyValuePair<ulong, InboundRequest>(request.CorrelationId, request));

    // Runs with _sending == 1. Writes everything queued, flushes once per batch; frame order is queue order.
    private void Drain()
    {
        var output = _transport.Output;
        try
        {
            while (true)
            {
                while (_outgoing.TryDequeue(out var frame))
                {
                    Interlocked.Add(ref _queuedBytes, -frame.Length);
                    if (_sendBroken)
                    {
                        frame.Release();
                        continue;
                    }
                    if (frame.Length > 64 * 1024)
                    {
                        var write = output.WriteAsync(frame.Memory);
                        if (!write.IsCompletedSuccessfully)
                        {
                            _ = ContinueDrainAsync(write, frame);
                            return;
                        }
                        frame.Release();
                        if (write.Result.IsCompleted) _sendBroken = true;
                        continue;
                    }
                    output.Write(frame.Memory.Span);
                    frame.Release();
                }
                if (!_sendBroken && (!output.CanGetUnflushedBytes || output.UnflushedBytes > 0))
                {
                    var flush = output.FlushAsync();
                    if (!flush.IsCompletedSuccessfully)
                    {
                        _ = ContinueDrainAsync(flush, null);
                        return;
                    }
                    if (flush.Result.IsCompleted) _sendBroken = true;
                }
                if (ReleaseSendingAndCheckAgain()) continue;
                return;
            }
        }
        catch (Exception e)
        {
            OnSendFailed(e);
        }
    }

    private async Task ContinueDrainAsync(ValueTask<FlushResult> pending, OutgoingFrame? frame)
    {
        try
        {
            var result = await pending.ConfigureAwait(false);
            if (result.IsCompleted) _sendBroken = true;
        }
        catch (Exception e)
        {
            frame?.Release();
            OnSendFailed(e);
            return;
        }
        frame?.Release();
        Drain();
    }

    /// <summary>Gives up the writer role; true if frames arrived meanwhile and we took the role back.</summary>
    private bool ReleaseSendingAndCheckAgain()
    {
        Volatile.Write(ref _sending, 0);
        if (_outgoing.IsEmpty)
        {
            if (Volatile.Read(ref _sendCompleted)) _sendDrained.TrySetResult();
            return false;
        }
        return Interlocked.CompareExchange(ref _sending, 1, 0) == 0;
    }

    private void OnSendFailed(Exception e)
    {
        _sendBroken = true;
        while (_outgoing.TryDequeue(out var left))
        {
            Interlocked.Add(ref _queuedBytes, -left.Length);
            left.Release();
        }
        Volatile.Write(ref _sending, 0);
        _sendDrained.TrySetResult();
        // The send may have run inline under a caller's lock; fault (and run failed calls' continuations) elsewhere.
        var reason = new ChannelFaultedException($"Sending to {PeerDescription} failed: {e.Message}", e);
        ThreadPool.UnsafeQueueUserWorkItem(static s => s.Connection.Fault(s.Reason), (Connection: this, Reason: (Exception)reason), preferLocal: false);
    }

    private Task<T> SendPendingAsync<T>(PendingCall<T> call, OutgoingFrame frame, CancellationToken cancellationToken)
        => SendPendingAsync(call, frame, cancellationToken, Options.DefaultCallTimeout);

    private Task<T> SendPendingAsync<T>(PendingCall<T> call, OutgoingFrame frame, CancellationToken cancellationToken, TimeSpan timeout)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            frame.Release();
            return Task.FromCanceled<T>(cancellationToken);
        }
        _pending[call.Id] = call;
        if (!TrySend(frame))
        {
            if (TryRemovePending(call)) call.Fail(FaultOrClosed());
            return call.Task;
        }
        if (Volatile.Read(ref _fault) is { } fault && TryRemovePending(call))
        {
            call.Fail(fault); // lost the race with Fault(): it may have missed this call
            return call.Task;
        }
        // Armed after queuing, so a Cancel frame can never overtake its Request.
        call.Arm(cancellationToken, timeout);
        return call.Task;
    }

    private Exception FaultOrClosed() =>
        Volatile.Read(ref _fault) ?? new ChannelFaultedException($"The connection to {PeerDescription} is closed.");

    private static string Describe(MethodDescriptor method) => method.Description;

    /// <inheritdoc />
    Task<TResult> IOutboundChannel.RequestAsync<TArgs, TResult>(MethodDescriptor method, TArgs args, ArgsWriter<TArgs> writeArgs,
        JsonTypeInfo<TResult> resultType, CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _fault) is { } fault) return Task.FromException<TResult>(fault);
        if (Peer.CheckRequest(method) is { } mismatch) return Task.FromException<TResult>(mismatch);
        var call = new PendingCall<TResult>(this, NextId(), Describe(method), resultType, ResultMode.Json);
        using var telemetry = IpcTelemetry.StartClientCall(this, call, method.Contract.Alias, method.Name);
        OutgoingFrame frame;
        try
        {
            frame = FrameBuilder.Args(new FrameHeaderTemplate(FrameKind.Request, FrameFlags.None, method.Contract.Id, method.Id, call.Id),
                args, writeArgs, Options.MaxPayloadLength);
        }
        catch (Exception e)
        {
            call.Telemetry?.Complete(e);
            return Task.FromException<TResult>(e);
        }
        return SendPendingAsync(call, frame, cancellationToken);
    }

    /// <inheritdoc />
    Task IOutboundChannel.RequestAsync<TArgs>(MethodDescriptor method, TArgs args, ArgsWriter<TArgs> writeArgs, CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _fault) is { } fault) return Task.FromException(fault);
        if (Peer.CheckRequest(method) is { } mismatch) return Task.FromException(mismatch);
        var call = new PendingCall<object?>(this, NextId(), Describe(method), null, ResultMode.None);
        using var telemetry = IpcTelemetry.StartClientCall(this, call, method.Contract.Alias, method.Name);
        OutgoingFrame frame;
        try
        {
            frame = FrameBuilder.Args(new FrameHeaderTemplate(FrameKind.Request, FrameFlags.None, method.Contract.Id, method.Id, call.Id),
                args, writeArgs, Options.MaxPayloadLength);
        }
        catch (Exception e)
        {
            call.Telemetry?.Complete(e);
            return Task.FromException(e);
        }
        return SendPendingAsync(call, frame, cancellationToken);
    }

    /// <inheritdoc />
    void IOutboundChannel.Publish<TArgs>(MethodDescriptor method, TArgs args, ArgsWriter<TArgs> writeArgs)
    {
        if (Volatile.Read(ref _fault) is { } fault) throw fault;
        if (!PeerSubscribed(new SubscriptionKey(false, method.Contract.Id))) return;
        TrySend(FrameBuilder.Args(new FrameHeaderTemplate(FrameKind.Event, FrameFlags.None, method.Contract.Id, method.Id, 0),
            args, writeArgs, Options.MaxPayloadLength));
    }

    /// <summary>Sends an already-built event frame if the peer subscribed to its key (server fan-out shares one frame).</summary>
    internal void SendShared(OutgoingFrame frame, SubscriptionKey key)
    {
        if (!IsConnected || !PeerSubscribed(key)) return;
        frame.AddRef();
        TrySend(frame);
    }

    /// <summary>
    /// Untyped call for tools: names the contract alias and method, passes the argument object as
    /// JSON text and returns the result as JSON text (the text <c>null</c> for methods without a result).
    /// </summary>
    public Task<string> InvokeRawAsync(string contractAlias, string method, string argumentsJson = "{}", CancellationToken cancellationToken = default)
    {
        if (Volatile.Read(ref _fault) is { } fault) return Task.FromException<string>(fault);
        if (Peer.Resolve(contractAlias, method, out var mismatch) is not { } ids) return Task.FromException<string>(mismatch!);
        var bytes = Encoding.UTF8.GetBytes(argumentsJson);
        if (!IsJsonObject(bytes))
            return Task.FromException<string>(new ArgumentException("argumentsJson must be a JSON object such as {\"sku\":\"A-1\"}.", nameof(argumentsJson)));
        var call = new PendingCall<string>(this, NextId(), $"{contractAlias}.{method}", null, ResultMode.RawText);
        using var telemetry = IpcTelemetry.StartClientCall(this, call, contractAlias, method);
        OutgoingFrame frame;
        try
        {
            frame = FrameBuilder.Raw(new FrameHeaderTemplate(FrameKind.Request, FrameFlags.None, ids.ContractId, ids.MethodId, call.Id), bytes, Options.MaxPayloadLength);
        }
        catch (Exception e)
        {
            call.Telemetry?.Complete(e);
            return Task.FromException<string>(e);
        }
        return SendPendingAsync(call, frame, cancellationToken);
    }

    /// <summary>Untyped event for tools: publishes <paramref name="argumentsJson"/> as event <paramref name="eventName"/> of a contract alias.</summary>
    public void PublishRaw(string contractAlias, string eventName, string argumentsJson = "{}")
    {
        if (Volatile.Read(ref _fault) is { } fault) throw fault;
        if (Peer.Resolve(contractAlias, eventName, out var mismatch) is not { } ids) throw mismatch!;
        var bytes = Encoding.UTF8.GetBytes(argumentsJson);
        if (!IsJsonObject(bytes)) throw new ArgumentException("argumentsJson must be a JSON object.", nameof(argumentsJson));
        if (!PeerSubscribed(new SubscriptionKey(false, ids.ContractId))) return;
        TrySend(FrameBuilder.Raw(new FrameHeaderTemplate(FrameKind.Event, FrameFlags.None, ids.ContractId, ids.MethodId, 0), bytes, Options.MaxPayloadLength));
    }

    internal Task<TResponse> RequestBusAsync<TRequest, TResponse>(MessageType<TRequest> request, MessageType<TResponse> response, TRequest value,
        CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _fault) is { } fault) return Task.FromException<TResponse>(fault);
        if (Peer.CheckBusRequest(request.Id, request.Name, BusFingerprint.Of(request.Name, response.Name)) is { } mismatch)
            return Task.FromException<TResponse>(mismatch);
        var call = new PendingCall<TResponse>(this, NextId(), request.Name, response.TypeInfo, ResultMode.Json);
        using var telemetry = IpcTelemetry.StartClientCall(this, call, "$bus", request.Name);
        OutgoingFrame frame;
        try
        {
            frame = FrameBuilder.Value(new FrameHeaderTemplate(FrameKind.Request, FrameFlags.Bus, 0, request.Id, call.Id), value, request.TypeInfo,
                Options.MaxPayloadLength);
        }
        catch (Exception e)
        {
            call.Telemetry?.Complete(e);
            return Task.FromException<TResponse>(e);
        }
        return SendPendingAsync(call, frame, cancellationToken);
    }

    internal bool PeerHandlesBus(uint requestTypeId, ulong fingerprint) =>
        _peer is { } p && p.AdvertisesBusHandler(requestTypeId, fingerprint);

    private static bool IsJsonObject(ReadOnlySpan<byte> json)
    {
        try
        {
            var reader = new Utf8JsonReader(json);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) return false;
            reader.Skip();
            return !reader.Read();
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
