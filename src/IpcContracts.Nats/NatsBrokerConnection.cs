using System.Buffers;
using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Text.Json;
using IpcContracts.Runtime;
using IpcContracts.Transports;
using NATS.Client.Core;

namespace IpcContracts.Nats;

/// <summary>
/// One IpcContracts connection whose peer is the broker. The core writes and reads ordinary frames
/// (docs/protocol.md) through the two pipes; this class routes each frame it reads from the core to a subject and
/// writes each frame that arrives from NATS back into the core, so correlation, deadlines, cancellation, errors,
/// fingerprints, event order and event bounds stay the core's code, shared with every other transport.
/// </summary>
/// <remarks>
/// Design (docs/protocol.md section 9):
/// <list type="bullet">
/// <item>The NATS message payload is the frame itself, header included.</item>
/// <item>Request: published to <c>P.req.C</c>, served by one member of queue group <c>ipc</c>, reply subject
/// <c>P.reply.INSTANCE.N</c> (N = the caller's correlation ID). NATS answers a request nobody serves with status 503 on
/// that subject, which becomes an Error <c>mismatch</c> for call N.</item>
/// <item>On the serving side many callers use the same correlation IDs, so an inbound Request gets a local ID; its
/// Response or Error gets the caller's ID back and goes to the reply subject. Cancel is published to <c>P.cancel</c>
/// with the call's reply subject, which names the call on every server; the one running it cancels it.</item>
/// <item>Event: published once to <c>P.evt.C.F</c> (F = this process's fingerprint of the method, so an event needs no
/// header block); NATS fans it out. Subscribe/Unsubscribe frames become NATS subscriptions to <c>P.evt.C.*</c>.</item>
/// <item>Hello: this process's manifest tells which contracts to serve; the Hello written back describes the broker
/// (<see cref="BrokerManifest.BuildPeerHello"/>).</item>
/// <item>Aggregator (<c>Bus</c>) requests and events go the same ways, keyed by message type ID T instead of contract ID:
/// <c>P.bus.req.T</c> (queue group <c>ipc</c>), <c>P.bus.manifest.T</c>, <c>P.bus.evt.T</c>.</item>
/// <item>Progress reports go to the caller's reply subject like stream items; the call stays open.</item>
/// <item>Argument streams (frames with Upstream): the handler side's StreamCredit and Cancel go to the caller's reply
/// subject with reply-to <c>P.up.I</c> of the handler's connection; the caller sends its StreamItem and StreamEnd there
/// (only that process has the call), with reply-to the call's reply subject, which names the call on that process.</item>
/// </list>
/// </remarks>
internal sealed class NatsBrokerConnection : ITransportConnection
{
    private readonly NatsConnection _nats;
    private readonly NatsAddress _address;
    private readonly NatsTransportOptions _transportOptions;
    private readonly IpcOptions _options;
    private readonly string _instance = Guid.NewGuid().ToString("N");
    private readonly string _replyStem; // P.reply.INSTANCE.
    private readonly Pipe _in;
    private readonly Pipe _out;
    private readonly SemaphoreSlim _inLock = new(1, 1);
    private readonly TaskCompletionSource _helloWritten = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CallTable<ulong, (uint Contract, uint Method, bool Bus)> _outCalls = new();
    private readonly ReplyParts _replyParts = new(); // replies larger than max_payload, arriving in parts
    private readonly InboundCalls _inCalls = new();
    private readonly ConcurrentDictionary<uint, FrameSubscription> _eventSubscriptions = new();
    private readonly ConcurrentDictionary<uint, FrameSubscription> _busEventSubscriptions = new();
    private readonly ConcurrentDictionary<ulong, ulong> _callOrigins = new();
    private readonly ConcurrentDictionary<ulong, UpstreamRoute> _upstreams = new(); // outbound call -> where its argument stream goes // outbound call -> the inbound call whose handler made it
    private readonly List<FrameSubscription> _subscriptions = [];
    private readonly ConcurrentDictionary<uint, BrokerManifest.Method> _busHandlers = new(); // wanted: this process's aggregator request handlers
    private readonly ConcurrentDictionary<uint, (FrameSubscription Request, FrameSubscription Manifest)> _busHandlerSubscriptions = new(); // in place
    private readonly SemaphoreSlim _busSync = new(1, 1);
    private int _busHandlersHeard;
    private int _busHandlersLive;
    private readonly ConcurrentDictionary<ulong, MethodHeaders?> _shapeHeaders = new();
    private readonly ConcurrentDictionary<(uint Contract, uint Method, ulong Theirs, bool Signed), string?> _shapeVerdicts = new();
    private readonly ConcurrentDictionary<ulong, EventShape> _eventShapes = new();
    private MethodHeaders? _fromHeaders;
    private readonly JetStreamEvents? _durable;
    private BrokerManifest? _own;
    private Task _pump = Task.CompletedTask;
    private long _nextInboundId;
    private int _inputEnded;
    private int _disposed;
    private int _progressDropReported;
    private int _unknownKindReported;
    private int _upstreamDropReported;

    /// <summary>
    /// Where the argument stream of one outbound call goes: the <c>P.up.J</c> subject of the handler's connection J, learnt
    /// from the reply-to of its first StreamCredit or Cancel with Upstream. A StreamEnd the core wrote before that (an empty
    /// or failing stream does not wait for credit) is held until the subject is known, and dropped when the call ends.
    /// </summary>
    private sealed class UpstreamRoute
    {
        public string? Subject;
        public byte[]? HeldEnd;
    }

    private const int PipeBlock = 64 * 1024;

    private NatsBrokerConnection(NatsConnection nats, NatsAddress address, NatsTransportOptions transportOptions, IpcOptions options)
    {
        _nats = nats;
        _address = address;
        _transportOptions = transportOptions;
        _options = options;
        // Inbound: a message is written whole, then flushed; past 1 MiB unread the flush waits (the core is behind). The core's
        // read loop runs inline in the flush, on the NATS client's socket reader (TransportFeatures.InlineReads), as a socket
        // transport's loop runs on the thread that read the socket: a request reaches its handler, and its reply the NATS
        // client's buffer, without a thread-pool work item on the way (server side of the nats-cpu rtt series: 3 -> 2 work
        // items per round trip). The core does not resume callers there; the NATS reader receives again once it returns.
        // Blocks of 64 KiB: the 4 KiB default puts up to 256 blocks in flight in a burst, more than the shared array pool
        // keeps, and the pool then allocates new ones (rented on the NATS reader's thread, returned on the core's).
        _in = new Pipe(new PipeOptions(readerScheduler: PipeScheduler.Inline, pauseWriterThreshold: 1 << 20, resumeWriterThreshold: 1 << 19,
            minimumSegmentSize: PipeBlock, useSynchronizationContext: false));
        // Outbound: room for the largest frame the core may write, so a frame is always complete before it is routed. The
        // pump runs inline on the thread that flushes (the core's sender: the caller's thread, or the handler's for a reply),
        // not as a thread-pool work item per wake-up: a publish only writes into the NATS client's buffer and never blocks
        // (a full buffer is a pending task the pump awaits), so the core's rule that a flush never blocks holds, and a round
        // trip costs one hand-off less on each side (nats-cpu rtt series, docs/benchmarks.md).
        var outLimit = (long)options.MaxPayloadLength + (1 << 20);
        _out = new Pipe(new PipeOptions(readerScheduler: PipeScheduler.Inline, pauseWriterThreshold: outLimit, resumeWriterThreshold: outLimit / 2,
            minimumSegmentSize: PipeBlock, useSynchronizationContext: false));
        PeerDescription = address.ToString();
        _replyStem = address.ReplyStem(_instance);
        if (transportOptions.DurableEvents.Any)
            _durable = new JetStreamEvents(nats, address, transportOptions.DurableEvents, options, _instance, PeerDescription, Fail);
    }

    public PipeReader Input => _in.Reader;
    public PipeWriter Output => _out.Writer;
    public string PeerDescription { get; }

    /// <summary>Durable events are acknowledged to the broker only once the subscribers are done with them.</summary>
    /// <summary>
    /// Durable events are acknowledged to the broker only once the subscribers are done with them; a call a handler makes
    /// goes back to the process that made the inbound call (duplex callbacks), not to any process that serves its contract.
    /// </summary>
    /// <remarks>
    /// Reads complete inline on the NATS client's socket reader (<see cref="TransportFeatures.InlineReads"/>, see the constructor).
    /// Aggregator request handlers are followed as they come and go (<see cref="TransportFeatures.BusHandlerChanges"/>): a
    /// process answers <c>P.bus.req.T</c> only while it has a handler for T, so one registered after the handshake is served.
    /// </remarks>
    public TransportFeatures Features => TransportFeatures.EventAcknowledgements | TransportFeatures.CallOrigins | TransportFeatures.BusHandlerChanges
        | TransportFeatures.InlineReads;

    public void EventHandled(ulong deliveryTag)
    {
        if ((deliveryTag & RunTag) != 0) RunHandled((uint)deliveryTag);
        else _durable?.Handled(deliveryTag);
    }

    public void RequestIssued(ulong correlationId, ulong inboundCorrelationId) => _callOrigins[correlationId] = inboundCorrelationId;

    public void BusRequestHandlerChanged(uint requestTypeId, string requestTypeName, ulong fingerprint, bool added)
    {
        Volatile.Write(ref _busHandlersHeard, 1);
        if (added) _busHandlers[requestTypeId] = new BrokerManifest.Method(requestTypeId, requestTypeName, fingerprint, "");
        else _busHandlers.TryRemove(requestTypeId, out _);
        // Before the broker's Hello the subscriptions wait for it (OnOwnHelloAsync subscribes what is wanted by then).
        if (Volatile.Read(ref _busHandlersLive) != 0) _ = SyncBusHandlersAsync();
    }

    /// <summary>
    /// Brings the subscriptions to <c>P.bus.req.T</c> and <c>P.bus.manifest.T</c> (queue group <c>ipc</c>) in line with the
    /// aggregator request handlers this process has now. One pass at a time, each reading the latest wanted set, so changes
    /// made in any order end in the right state.
    /// </summary>
    private async Task SyncBusHandlersAsync()
    {
        try
        {
            await _busSync.WaitAsync().ConfigureAwait(false);
        }
        catch (ObjectDisposedException)
        {
            return;
        }
        try
        {
            foreach (var typeId in _busHandlers.Keys)
            {
                if (_busHandlerSubscriptions.ContainsKey(typeId) || Volatile.Read(ref _inputEnded) != 0) continue;
                var request = new FrameSubscription(_nats, _address.BusRequest(typeId), NatsAddress.QueueGroup, OnRequestAsync);
                var manifest = new FrameSubscription(_nats, _address.BusManifest(typeId), NatsAddress.QueueGroup, OnBusManifestRequestAsync);
                _busHandlerSubscriptions[typeId] = (request, manifest);
                await _nats.AddSubAsync(request).ConfigureAwait(false);
                await _nats.AddSubAsync(manifest).ConfigureAwait(false);
            }
            foreach (var (typeId, subscriptions) in _busHandlerSubscriptions)
            {
                if (_busHandlers.ContainsKey(typeId)) continue;
                _busHandlerSubscriptions.TryRemove(typeId, out _);
                await subscriptions.Request.DisposeAsync().ConfigureAwait(false);
                await subscriptions.Manifest.DisposeAsync().ConfigureAwait(false);
            }
        }
        catch (Exception e) when (Volatile.Read(ref _inputEnded) == 0)
        {
            Fail($"could not follow the aggregator request handlers: {e.GetType().Name}: {e.Message}");
        }
        catch (Exception)
        {
            // the connection is ending: its subscriptions end with it
        }
        finally
        {
            _busSync.Release();
        }
    }

    /// <summary>
    /// <c>P.bus.manifest.T</c>: a manifest whose <c>busHandles</c> are this process's aggregator request handlers now (the Hello
    /// is a snapshot, and a handler registered later must be described too).
    /// </summary>
    private ValueTask OnBusManifestRequestAsync(string subject, string? replyTo, ReadOnlySequence<byte>? headers, ReadOnlySequence<byte> payload)
    {
        if (replyTo is null) return default;
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteNumber("protocol", 1);
            w.WriteStartArray("busHandles");
            foreach (var h in _busHandlers.Values)
            {
                w.WriteStartObject();
                w.WriteNumber("id", h.Id);
                w.WriteString("name", h.Name);
                w.WriteNumber("fp", h.Fingerprint);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return _nats.PublishAsync(replyTo, new ReadOnlySequence<byte>(buffer.WrittenMemory), serializer: Raw);
    }

    /// <summary>Durable events the broker delivered again to this connection (diagnostics and tests).</summary>
    internal long DurableRedeliveries => _durable?.Redelivered ?? 0;

    /// <summary>Completes once this process's subscriptions are in place and the broker's Hello was handed to the core.</summary>
    public Task Serving => _helloWritten.Task;

    /// <summary>Completes when the connection is disposed.</summary>
    public Task Closed => _closed.Task;

    private int MaxBrokerPayload => (int)Math.Min(_nats.ServerInfo?.MaxPayload ?? 1 << 20, int.MaxValue);

    /// <summary>
    /// What a header block adds to a message, which the NATS server counts against <c>max_payload</c> with the payload (<c>NATS/1.0\r\n</c>, one
    /// <c>Name: value\r\n</c> per value, <c>\r\n</c>). A message over it is not refused alone: the server closes the whole
    /// connection ("Maximum Payload Violation"), so every publish that can be large is measured first.
    /// </summary>
    internal static long HeaderBlockSize(NatsHeaders? headers)
    {
        if (headers is null) return 0;
        long size = "NATS/1.0\r\n".Length + 2;
        foreach (var (name, values) in headers)
            foreach (var value in values) size += name.Length + 2 + (value?.Length ?? 0) + 2;
        return size;
    }

    /// <summary>The end of every "too large for the broker" message: what to do instead.</summary>
    private const string LargeDataHint = "send large data as a Stream or IAsyncEnumerable argument or result, which travels in chunks, or raise the server's max_payload";

    /// <summary>Connects to the broker; a broker that cannot be reached is a <see cref="ChannelFaultedException"/> naming it.</summary>
    public static async Task<NatsBrokerConnection> OpenAsync(NatsAddress address, NatsTransportOptions transportOptions, IpcOptions options,
        CancellationToken cancellationToken)
    {
        var opts = NatsOpts.Default with
        {
            Url = address.Url,
            Name = $"ipccontracts {options.ProcessName}",
            ConnectTimeout = options.ConnectTimeout,
            MaxReconnectRetry = 0,
            // The client's send buffer (64 KiB by default) fills every few hundred small events in a burst, and each time the
            // next publish waits on a timer-backed task for the socket writer: about 5 hand-offs per 1,000 events. At 1 MiB
            // it is about 0.5 (nats-cpu probe, docs/benchmarks.md). Still a bound: a publish waits while 1 MiB is unsent.
            WriterBufferSize = 1 << 20,
        };
        opts = transportOptions.ConfigureConnection?.Invoke(opts) ?? opts;
        var nats = new NatsConnection(opts);
        try
        {
            await nats.ConnectAsync().AsTask().WaitAsync(options.ConnectTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            await nats.DisposeAsync().ConfigureAwait(false);
            throw new ChannelFaultedException($"Could not connect to the NATS server at {address.Url}: {e.Message}", e);
        }
        catch
        {
            await nats.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        var connection = new NatsBrokerConnection(nats, address, transportOptions, options);
        nats.ConnectionDisconnected += connection.OnBrokerDisconnected;
        connection._pump = Task.Run(connection.PumpOutAsync);
        return connection;
    }

    /// <summary>Something this connection cannot go on from: logged, and the connection ends (IpcClient reconnects).</summary>
    private void Fail(string reason)
    {
        if (Volatile.Read(ref _inputEnded) == 0)
            _options.ReportSecurityEvent($"NATS transport {PeerDescription}: {reason}; the connection ends.");
        EndInput();
    }

    private ValueTask OnBrokerDisconnected(object? sender, NatsEventArgs args)
    {
        // The client does not reconnect (MaxReconnectRetry = 0): messages published meanwhile would be lost without a
        // trace. The connection ends instead; IpcClient reconnects and resubscribes, as after any lost connection.
        EndInput();
        return default;
    }

    // ---------------------------------------------------------------- from the core to NATS

    private async Task PumpOutAsync()
    {
        var reader = _out.Reader;
        var yielded = false;
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync().ConfigureAwait(false);
                var buffer = result.Buffer;
                if (!yielded && !result.IsCompleted && !result.IsCanceled && StartsWithEvent(buffer))
                {
                    // Events are not waited for: they go out from a thread-pool work item, not inline on the publisher's
                    // thread, and the events the core writes meanwhile are taken with them (one NATS message per run of one
                    // method's events, TakeEventBatch). Calls and replies go out inline: the latency path has no hop here.
                    reader.AdvanceTo(buffer.Start);
                    yielded = true;
                    // To the thread pool, whatever context the publisher's thread has.
                    await Task.CompletedTask.ConfigureAwait(ConfigureAwaitOptions.ForceYielding);
                    continue;
                }
                yielded = false;
                while (true)
                {
                    var from = buffer;
                    if (!TakeFrame(ref buffer, out var header, out var frame)) break;
                    if (header.Kind == WireFrame.Event) frame = TakeEventBatch(from, ref buffer, header, frame);
                    await RouteAsync(header, frame).ConfigureAwait(false);
                }
                reader.AdvanceTo(buffer.Start, buffer.End);
                if (result.IsCompleted || result.IsCanceled) break;
            }
        }
        catch (Exception e) when (Volatile.Read(ref _disposed) == 0)
        {
            _options.ReportSecurityEvent($"NATS transport {PeerDescription}: sending stopped: {e.GetType().Name}: {e.Message}");
        }
        catch (Exception)
        {
            // disposed while routing: nothing to report
        }
        finally
        {
            EndInput();
        }
    }

    private static bool StartsWithEvent(in ReadOnlySequence<byte> buffer)
    {
        if (buffer.Length < WireFrame.HeaderSize) return false;
        Span<byte> bytes = stackalloc byte[WireFrame.HeaderSize];
        buffer.Slice(0, WireFrame.HeaderSize).CopyTo(bytes);
        return WireFrame.TryRead(bytes, out var header) && header.Kind == WireFrame.Event;
    }

    private static bool TakeFrame(ref ReadOnlySequence<byte> buffer, out WireFrame.Header header, out ReadOnlySequence<byte> frame)
    {
        frame = default;
        header = default;
        if (buffer.Length < WireFrame.HeaderSize) return false;
        Span<byte> bytes = stackalloc byte[WireFrame.HeaderSize];
        buffer.Slice(0, WireFrame.HeaderSize).CopyTo(bytes);
        if (!WireFrame.TryRead(bytes, out header))
            throw new InvalidOperationException("The connection wrote bytes that are not a frame header.");
        if (buffer.Length < header.FrameLength) return false;
        frame = buffer.Slice(0, header.FrameLength);
        buffer = buffer.Slice(header.FrameLength);
        return true;
    }

    /// <summary>Upper bound of one NATS message of batched events (<see cref="TakeEventBatch"/>), below <c>max_payload</c> too.</summary>
    internal const int MaxEventBatch = 32 * 1024;

    /// <summary>
    /// The event frame just taken from <paramref name="from"/>, or, when the frames right behind it are events of the same
    /// method with the same flags, all of them as one run of frames for one NATS message (up to <see cref="MaxEventBatch"/>
    /// bytes and <c>max_payload</c> with the method's headers); <paramref name="buffer"/> then starts after the last one.
    /// Only frames already written are taken, so nothing waits for a batch to fill. Not for aggregator messages, events with
    /// trace context (their headers differ per event) or durable events (acknowledged one message per event).
    /// </summary>
    /// <remarks>
    /// Per NATS message, the client takes a lock, copies the payload twice and flushes, the broker routes it and the
    /// subscriber's client parses it, makes its subject a string and calls the subscription: in a burst of small events that
    /// was most of the transport's cost on both sides (docs/benchmarks.md, "nats:// events in runs, calls out inline").
    /// </remarks>
    private ReadOnlySequence<byte> TakeEventBatch(in ReadOnlySequence<byte> from, ref ReadOnlySequence<byte> buffer, in WireFrame.Header first,
        in ReadOnlySequence<byte> frame)
    {
        if (buffer.Length < WireFrame.HeaderSize || (first.Flags & (WireFrame.BusFlag | WireFrame.TraceContextFlag | WireFrame.UpstreamFlag)) != 0
            || _durable?.IsDurable(first.ContractId) == true)
            return frame;
        var limit = Math.Min(MaxEventBatch, MaxBrokerPayload - (EventShapeOf(first.ContractId, first.MethodId).Headers?.Size ?? 0));
        var length = WireFrame.EventRunLength(from, first, limit);
        if (length == frame.Length) return frame;
        buffer = from.Slice(length);
        return from.Slice(0, length);
    }

    private ValueTask RouteAsync(in WireFrame.Header header, in ReadOnlySequence<byte> frame)
    {
        if ((header.Flags & WireFrame.UpstreamFlag) != 0)
            return RouteUpstreamAsync(header, frame);
        switch (header.Kind)
        {
            case WireFrame.Hello:
                return new ValueTask(OnOwnHelloAsync(frame.Slice(WireFrame.HeaderSize)));
            case WireFrame.Request:
                return PublishRequestAsync(header, frame);
            case WireFrame.Response:
            case WireFrame.Error when header.CorrelationId != 0:
                return PublishReplyAsync(header, frame);
            case WireFrame.StreamItem:
                return PublishStreamItemAsync(header, frame);
            case WireFrame.Progress:
                return PublishProgressAsync(header, frame);
            case WireFrame.StreamCredit:
                // Like Cancel: every process gets it, the one running the call (it knows the reply subject) takes it. It
                // follows the Request from this connection, so NATS delivers it after the Request to that process.
                return _outCalls.ContainsKey(header.CorrelationId)
                    ? _nats.PublishAsync(_address.Credit, frame, replyTo: ReplySubject(header.CorrelationId), serializer: Raw)
                    : default;
            case WireFrame.Cancel:
                _replyParts.Drop(header.CorrelationId); // what arrived of a large reply to the call
                _upstreams.TryRemove(header.CorrelationId, out _);
                return _outCalls.TryRemove(header.CorrelationId, out _)
                    ? _nats.PublishAsync(_address.Cancel, frame, replyTo: ReplySubject(header.CorrelationId), serializer: Raw)
                    : default;
            case WireFrame.Event:
                return PublishEventAsync(header, frame);
            case WireFrame.Ping:
                // Frames are routed in order: the durable events to wait for are the ones published before this Ping.
                _ = PongAsync(header.CorrelationId, _durable?.PublishedSoFar ?? 0);
                return default;
            case WireFrame.Subscribe when (header.Flags & WireFrame.BusFlag) == 0:
                return SubscribeEventsAsync(header.ContractId);
            case WireFrame.Unsubscribe when (header.Flags & WireFrame.BusFlag) == 0:
                if (_durable?.IsDurable(header.ContractId) == true) _durable.Unsubscribe(header.ContractId);
                return _eventSubscriptions.TryRemove(header.ContractId, out var sub) ? sub.DisposeAsync() : default;
            case WireFrame.Subscribe:
                return SubscribeBusEventsAsync(header.ContractId); // with Bus, the message type ID is in the contract ID field
            case WireFrame.Unsubscribe:
                return _busEventSubscriptions.TryRemove(header.ContractId, out var busSub) ? busSub.DisposeAsync() : default;
            case > WireFrame.StreamEnd:
                // A kind newer than this transport: not sent, and said once rather than dropped silently.
                if (Interlocked.Exchange(ref _unknownKindReported, 1) == 0)
                    _options.ReportSecurityEvent($"NATS transport {PeerDescription}: frames of kind {header.Kind} are not carried over NATS by this version; they are not sent.");
                return default;
            default:
                // Goodbye (the broker needs no notice), a connection-level Error (the core is closing) and Pong (the broker never
                // pings) end here.
                return default;
        }
    }

    /// <summary>
    /// A frame of an argument stream (docs/protocol.md 7.9 and section 9). From the handler side (StreamCredit, Cancel; the
    /// ID is this side's local one): to the caller's reply subject with the caller's ID, reply-to this connection's
    /// <c>P.up.I</c>. From the caller side (StreamItem, StreamEnd; the caller's ID): to the <c>P.up.J</c> the handler's
    /// first credit named, reply-to the call's reply subject, which names the call there.
    /// </summary>
    private ValueTask RouteUpstreamAsync(in WireFrame.Header header, in ReadOnlySequence<byte> frame)
    {
        switch (header.Kind)
        {
            case WireFrame.StreamCredit:
            case WireFrame.Cancel:
            {
                if (!_inCalls.TryGetValue(header.CorrelationId, out var call)) return default; // the call has ended
                return PublishAsCaller(call.ReplyTo, frame, call.CallerId, replyTo: _address.Upstream(_instance));
            }
            case WireFrame.StreamItem:
            case WireFrame.StreamEnd:
                return PublishUpstreamAsync(header, frame);
            default:
                return default;
        }
    }

    private async ValueTask PublishUpstreamAsync(WireFrame.Header header, ReadOnlySequence<byte> frame)
    {
        var id = header.CorrelationId;
        if (!_outCalls.ContainsKey(id)) return; // the call has ended: the handler no longer reads
        if (frame.Length > MaxBrokerPayload)
        {
            // The call fails here with the reason, and the handler is told, as when the caller cancels.
            _upstreams.TryRemove(id, out _);
            if (!_outCalls.TryRemove(id, out _)) return;
            await WriteInputAsync(WireFrame.BuildError(new WireFrame.Header(WireFrame.Request, 0, header.ContractId, header.MethodId, id, 0), "bad_payload",
                "IpcContracts.IpcProtocolException",
                $"An argument-stream item is {frame.Length} bytes; the NATS server {_address.Url} takes messages up to {MaxBrokerPayload} bytes (its max_payload), so it was not sent: send smaller items, or raise the server's max_payload.")).ConfigureAwait(false);
            await PublishCancelAsync(id).ConfigureAwait(false);
            return;
        }
        var route = _upstreams.GetOrAdd(id, static _ => new UpstreamRoute());
        string? subject;
        lock (route)
        {
            subject = route.Subject;
            if (subject is null)
            {
                // Only a StreamEnd comes before credit (items wait for it): held until the handler names its connection.
                if (header.Kind == WireFrame.StreamEnd) route.HeldEnd = frame.ToArray();
                else ReportUpstreamDrop();
                return;
            }
        }
        await _nats.PublishAsync(subject, frame, replyTo: ReplySubject(id), serializer: Raw).ConfigureAwait(false);
        if (header.Kind == WireFrame.StreamEnd) _upstreams.TryRemove(id, out _);
    }

    private void ReportUpstreamDrop()
    {
        if (Interlocked.Exchange(ref _upstreamDropReported, 1) == 0)
            _options.ReportSecurityEvent($"NATS transport {PeerDescription}: an argument-stream item was written before the handler granted credit; it was not sent.");
    }

    /// <summary>
    /// StreamCredit or Cancel with Upstream for outbound call <paramref name="id"/>: its reply-to (<c>P.up.J</c>) is where the
    /// argument stream goes from now on; a StreamEnd held for want of it goes out first. A reply-to of any other form is not
    /// trusted as a destination and the frame is ignored.
    /// </summary>
    private async ValueTask OnUpstreamControlAsync(ulong id, string? replyTo, ReadOnlySequence<byte> payload)
    {
        if (replyTo is null || !_address.IsUpstream(replyTo) || !_outCalls.ContainsKey(id)) return;
        var route = _upstreams.GetOrAdd(id, static _ => new UpstreamRoute());
        byte[]? held;
        lock (route)
        {
            route.Subject ??= replyTo;
            held = route.HeldEnd;
            route.HeldEnd = null;
        }
        if (held is not null)
        {
            await _nats.PublishAsync(route.Subject, new ReadOnlySequence<byte>(held), replyTo: ReplySubject(id), serializer: Raw).ConfigureAwait(false);
            _upstreams.TryRemove(id, out _);
        }
        await WriteInputAsync(payload).ConfigureAwait(false);
    }

    /// <summary>StreamItem or StreamEnd with Upstream on <c>P.up.I</c>: to the call its reply-to names, with this side's local ID.</summary>
    private ValueTask OnUpstreamItemAsync(string subject, string? replyTo, ReadOnlySequence<byte>? headers, ReadOnlySequence<byte> payload) =>
        replyTo is not null && _inCalls.TryFind(replyTo, out var local) && WireFrame.TryReadMessage(payload, out var header)
            && (header.Flags & WireFrame.UpstreamFlag) != 0 && header.Kind is WireFrame.StreamItem or WireFrame.StreamEnd
            ? WriteInputAsync(payload, local)
            : default;

    private const string FromHeader = "Ipc-From", FingerprintHeader = "Ipc-Fp", SignatureHeader = "Ipc-Sig";
    private const int MaxShapeVerdicts = 1024;

    private static NatsRawSerializer<ReadOnlySequence<byte>> Raw => NatsRawSerializer<ReadOnlySequence<byte>>.Default;

    private async Task OnOwnHelloAsync(ReadOnlySequence<byte> payload)
    {
        var own = BrokerManifest.Parse(payload);
        _own = own;
        // Subscriptions first, the broker's Hello last: the core may send requests as soon as it has the Hello, and a
        // reply must find its subscription. Messages that arrive before the Hello wait for it (WriteInputAsync).
        await AddAsync(new FrameSubscription(_nats, _address.Replies(_instance), null, OnReplyAsync)).ConfigureAwait(false);
        // Callbacks: requests made by the handlers of this connection's calls, addressed to this connection alone. Always
        // subscribed, so a callback to a process without a handler for it is answered by its core (Error mismatch).
        await AddAsync(new FrameSubscription(_nats, _address.Callbacks(_instance), null, OnRequestAsync)).ConfigureAwait(false);
        await AddAsync(new FrameSubscription(_nats, _address.Cancel, null, OnCancelAsync)).ConfigureAwait(false);
        await AddAsync(new FrameSubscription(_nats, _address.Credit, null, OnCreditAsync)).ConfigureAwait(false);
        // Argument-stream items and ends of the calls this connection is handling, addressed to it alone.
        await AddAsync(new FrameSubscription(_nats, _address.Upstream(_instance), null, OnUpstreamItemAsync)).ConfigureAwait(false);
        foreach (var c in own.Contracts)
        {
            if (c.Kind != BrokerManifest.RequestKind || !c.Handled) continue;
            await AddAsync(new FrameSubscription(_nats, _address.Request(c.Id), NatsAddress.QueueGroup, OnRequestAsync)).ConfigureAwait(false);
            await AddAsync(new FrameSubscription(_nats, _address.Manifest(c.Id), NatsAddress.QueueGroup, OnManifestRequestAsync)).ConfigureAwait(false);
        }
        // Aggregator request handlers: the ones the core has told of (every handler at the start, then each change); a core that
        // does not tell (no BusHandlerChanges) gets the Hello's snapshot.
        if (Volatile.Read(ref _busHandlersHeard) == 0)
            foreach (var (typeId, method) in own.BusHandles) _busHandlers.TryAdd(typeId, method);
        Volatile.Write(ref _busHandlersLive, 1);
        await SyncBusHandlersAsync().ConfigureAwait(false);
        if (_durable is not null)
        {
            await AddAsync(new FrameSubscription(_nats, _address.Acks(_instance), null, _durable.OnAckAsync)).ConfigureAwait(false);
            try
            {
                // Streams before the Hello: the first durable event the core publishes must be stored.
                foreach (var c in own.Contracts)
                    if (c.Kind == BrokerManifest.EventKind && _durable.IsDurable(c.Id)) await _durable.EnsureStreamAsync(c.Id).ConfigureAwait(false);
            }
            catch (IpcConfigurationException e)
            {
                _options.ReportEventHandlerException(e);
                Fail(e.Message);
                return;
            }
        }
        foreach (var id in own.Subscribes) await SubscribeEventsAsync(id).ConfigureAwait(false);
        foreach (var id in own.BusSubscribes) await SubscribeBusEventsAsync(id).ConfigureAwait(false);
        // Which aggregator types other processes publish, subscribe to or serve is not known here: every registered type is
        // one the broker takes, and each one some process serves brings that process's busHandles entry.
        var busTypes = MessageTypeRegistry.RegisteredIds.Union(own.BusSubscribes).ToArray();
        var servedTask = QueryManifestsAsync(own.Contracts.Where(c => c.Kind == BrokerManifest.RequestKind).Select(c => c.Id),
            _address.Manifest, BrokerManifest.ServedEntry, own.AliasOf);
        var busServedTask = QueryManifestsAsync(busTypes.Where(id => !own.BusHandles.ContainsKey(id)),
            _address.BusManifest, BrokerManifest.ServedBusEntry, id => MessageTypeRegistry.FindName(id) ?? $"0x{id:X8}");
        var served = await servedTask.ConfigureAwait(false);
        var busServed = await busServedTask.ConfigureAwait(false);
        // PONG comes after the server has processed every SUB above: from here on, requests reach this process.
        await _nats.PingAsync().ConfigureAwait(false);
        var hello = own.BuildPeerHello($"NATS broker {PeerDescription}", served, busServed, busTypes);
        await WriteInputAsync(new ReadOnlySequence<byte>(WireFrame.Build(WireFrame.Hello, 0, 0, 0, 0, hello)), gated: false).ConfigureAwait(false);
        _helloWritten.TrySetResult();
    }

    private async Task AddAsync(FrameSubscription subscription)
    {
        lock (_subscriptions) _subscriptions.Add(subscription);
        await _nats.AddSubAsync(subscription).ConfigureAwait(false);
    }

    private async ValueTask SubscribeEventsAsync(uint contractId)
    {
        if (_durable?.IsDurable(contractId) == true)
        {
            // Not the core subject as well: the stream captures it, and the consumer delivers each event once.
            _durable.Subscribe(contractId, DeliverDurableAsync);
            return;
        }
        var sub = new FrameSubscription(_nats, _address.Events(contractId), null, OnEventAsync);
        if (!_eventSubscriptions.TryAdd(contractId, sub)) return;
        await _nats.AddSubAsync(sub).ConfigureAwait(false);
    }

    private async ValueTask SubscribeBusEventsAsync(uint typeId)
    {
        var sub = new FrameSubscription(_nats, _address.BusEvent(typeId), null, OnEventAsync);
        if (!_busEventSubscriptions.TryAdd(typeId, sub)) return;
        await _nats.AddSubAsync(sub).ConfigureAwait(false);
    }

    /// <summary>
    /// Asks, for each ID (a request contract, or an aggregator request type), one process that serves it for its manifest
    /// entry, all at once; an ID nobody serves is answered at once by the NATS server (no responders).
    /// </summary>
    private async Task<Dictionary<uint, JsonElement>> QueryManifestsAsync(IEnumerable<uint> ids, Func<uint, string> subject,
        Func<byte[], uint, JsonElement?> entryOf, Func<uint, string> nameOf)
    {
        var asks = ids.Select(async id =>
        {
            try
            {
                var reply = await _nats.RequestAsync(subject(id), Array.Empty<byte>(),
                    requestSerializer: NatsRawSerializer<byte[]>.Default, replySerializer: NatsRawSerializer<byte[]>.Default,
                    replyOpts: new NatsSubOpts { Timeout = _transportOptions.ManifestTimeout, ThrowIfNoResponders = true }).ConfigureAwait(false);
                return (id, Entry: reply.Data is { } json ? entryOf(json, id) : null);
            }
            catch (NatsNoRespondersException)
            {
                return (id, Entry: (JsonElement?)null); // nobody serves it now: checked per call
            }
            catch (Exception e) when (e is NatsNoReplyException or TimeoutException or JsonException or InvalidOperationException)
            {
                _options.ReportSecurityEvent($"NATS transport {PeerDescription}: no usable manifest for {nameOf(id)}: {e.Message}");
                return (id, Entry: (JsonElement?)null);
            }
        });
        var served = new Dictionary<uint, JsonElement>();
        foreach (var (id, entry) in await Task.WhenAll(asks).ConfigureAwait(false))
            if (entry is { } e) served[id] = e;
        return served;
    }

    private async ValueTask PublishRequestAsync(WireFrame.Header header, ReadOnlySequence<byte> frame)
    {
        var fromHandler = _callOrigins.TryRemove(header.CorrelationId, out var origin);
        var bus = (header.Flags & WireFrame.BusFlag) != 0;
        var headers = Headers(header, frame, out var headerBytes);
        if (frame.Length + headerBytes is var size && size > MaxBrokerPayload)
        {
            await WriteInputAsync(WireFrame.BuildError(header, "bad_payload", "IpcContracts.IpcProtocolException",
                $"The request is {size} bytes with its NATS headers; the NATS server {_address.Url} takes messages up to {MaxBrokerPayload} bytes (its max_payload), so it was not sent: {LargeDataHint}.")).ConfigureAwait(false);
            return;
        }
        _outCalls[header.CorrelationId] = (header.ContractId, header.MethodId, bus);
        // A handler's call goes to the caller of the inbound call it is handling (found by that call's reply subject).
        var subject = fromHandler && _inCalls.TryGetValue(origin, out var inbound)
            && _address.InstanceOf(inbound.ReplyTo) is { } caller
            ? _address.Callbacks(caller)
            : bus ? _address.BusRequest(header.MethodId) : _address.Request(header.ContractId);
        await _nats.PublishAsync(subject, frame, headers, ReplySubject(header.CorrelationId), Raw).ConfigureAwait(false);
    }

    private ValueTask PublishReplyAsync(in WireFrame.Header header, in ReadOnlySequence<byte> frame)
    {
        if (!_inCalls.TryRemove(header.CorrelationId, out var call)) return default;
        return PublishAsCaller(call.ReplyTo, frame, call.CallerId);
    }

    /// <summary>
    /// Publishes <paramref name="frame"/> (read from the outbound pipe) with correlation ID <paramref name="callerId"/> in place
    /// of this side's local one, rewritten where the frame lies: a reply, stream item or progress report costs no copy of
    /// its own (the NATS client copies it into its buffer), and the pump awaits the publish before it lets go of those bytes.
    /// A frame larger than the broker's max_payload goes in parts (<see cref="PublishInPartsAsync"/>).
    /// </summary>
    private ValueTask PublishAsCaller(string subject, in ReadOnlySequence<byte> frame, ulong callerId, string? replyTo = null)
    {
        WireFrame.PatchCorrelation(frame, callerId);
        if (frame.Length > MaxBrokerPayload && replyTo is null) return PublishInPartsAsync(subject, frame);
        return _nats.PublishAsync(subject, frame, replyTo: replyTo, serializer: Raw);
    }

    /// <summary>
    /// A Response, Error or StreamItem larger than the broker's max_payload, as consecutive messages of max_payload bytes
    /// on the caller's reply subject (docs/protocol.md section 9, "A frame in parts"); the caller's transport puts them
    /// together (<see cref="ReplyParts"/>). The pump awaits each publish, so no other frame to that subject comes between
    /// them, and NATS keeps one publisher's order on a subject.
    /// </summary>
    private async ValueTask PublishInPartsAsync(string subject, ReadOnlySequence<byte> frame)
    {
        var part = MaxBrokerPayload;
        for (long at = 0; at < frame.Length; at += part)
            await _nats.PublishAsync(subject, frame.Slice(at, Math.Min(part, frame.Length - at)), serializer: Raw).ConfigureAwait(false);
    }

    /// <summary><c>P.reply.INSTANCE.N</c> for this connection's call N.</summary>
    private string ReplySubject(ulong correlationId) => NatsAddress.ReplyFromStem(_replyStem, correlationId);

    /// <summary>One item of a stream result: to the caller like a Response, but the call goes on (its Response or Error ends it).</summary>
    private async ValueTask PublishStreamItemAsync(WireFrame.Header header, ReadOnlySequence<byte> frame)
    {
        if (!_inCalls.TryGetValue(header.CorrelationId, out var call)) return;
        await PublishAsCaller(call.ReplyTo, frame, call.CallerId).ConfigureAwait(false); // in parts if it is large
    }

    /// <summary>
    /// One progress report: to the caller like a stream item (the call goes on). Reports are droppable ("latest wins",
    /// docs/protocol.md section 7.8), so one over <c>max_payload</c> is dropped, said once, and the call is not failed.
    /// </summary>
    private async ValueTask PublishProgressAsync(WireFrame.Header header, ReadOnlySequence<byte> frame)
    {
        if (!_inCalls.TryGetValue(header.CorrelationId, out var call)) return;
        if (frame.Length > MaxBrokerPayload)
        {
            if (Interlocked.Exchange(ref _progressDropReported, 1) == 0)
                _options.ReportSecurityEvent($"NATS transport {PeerDescription}: a progress report of {frame.Length} bytes is over the NATS server's max_payload ({MaxBrokerPayload} bytes); such reports are dropped.");
            return;
        }
        await PublishAsCaller(call.ReplyTo, frame, call.CallerId).ConfigureAwait(false);
    }

    /// <remarks>Not an async method: it hands back the publish's own ValueTask (the pump awaits it), one state machine less per event.</remarks>
    private ValueTask PublishEventAsync(in WireFrame.Header header, in ReadOnlySequence<byte> frame)
    {
        var bus = (header.Flags & WireFrame.BusFlag) != 0;
        // Aggregator messages have no fingerprint (the type name is the contract) and are never durable. Ipc-From names this
        // connection: the aggregator has already delivered the message to its own process's subscribers, and NATS would
        // echo it back to this connection's subscription (OnEventAsync drops it). A contract event carries its fingerprint in
        // the subject and a header only for a signature with optional parameters or a trace context.
        var shape = bus ? null : EventShapeOf(header.ContractId, header.MethodId);
        var headers = bus ? Headers(header, frame, out var headerBytes, from: true) : WithTraceContext(shape!.Headers, header, frame, out headerBytes);
        if (frame.Length + headerBytes is var size && size > MaxBrokerPayload)
        {
            var what = bus ? MessageTypeRegistry.FindName(header.MethodId) ?? $"aggregator message type 0x{header.MethodId:X8}" : _own?.AliasOf(header.ContractId);
            _options.ReportEventHandlerException(new IpcException(
                $"An event of {what} is {size} bytes with its NATS headers; the NATS server {_address.Url} takes messages up to {MaxBrokerPayload} bytes (its max_payload). It was not sent: publish large data another way (a call with a Stream argument), or raise the server's max_payload."));
            return default;
        }
        if (bus)
            return _nats.PublishAsync(_address.BusEvent(header.MethodId), frame, headers, serializer: Raw);
        if (_durable?.IsDurable(header.ContractId) == true)
            return _durable.PublishAsync(header.ContractId, shape!.Subject, frame, headers);
        return _nats.PublishAsync(shape!.Subject, frame, headers, serializer: Raw);
    }

    /// <summary>Where one method's events go (<c>P.evt.C.F</c>) and the headers every one of them carries (null for most).</summary>
    private sealed class EventShape(string subject, MethodHeaders? headers)
    {
        public string Subject { get; } = subject;
        public MethodHeaders? Headers { get; } = headers;
    }

    /// <summary>
    /// The subject carries this process's fingerprint of the method. Its signature (<c>Ipc-Sig</c>) goes along only when it has
    /// optional trailing parameters: a receiver of another shape can judge a shape without them from the fingerprint alone
    /// (<see cref="MethodShapes.AcceptsFingerprintWithoutOptionals"/>), so most events are messages without a header block.
    /// </summary>
    private EventShape EventShapeOf(uint contractId, uint methodId)
    {
        var key = (ulong)contractId << 32 | methodId;
        if (_eventShapes.TryGetValue(key, out var cached)) return cached;
        if (_own is not { } own) return new EventShape(_address.Event(contractId, 0), null); // before the handshake: not kept
        var method = own.Find(contractId, methodId);
        var signature = method?.Signature ?? "";
        MethodHeaders? headers = null;
        // A header value is printable ASCII; a signature with other characters is not sent (a receiver of another shape then
        // judges by the fingerprint alone).
        if (signature.EndsWith("=)", StringComparison.Ordinal) && !signature.AsSpan().ContainsAnyExceptInRange((char)0x20, (char)0x7E))
            headers = new MethodHeaders(NewHeaders(SignatureHeader, signature));
        return _eventShapes.GetOrAdd(key, new EventShape(_address.Event(contractId, method?.Fingerprint ?? 0), headers));
    }

    /// <summary>
    /// <c>Ipc-Fp</c> and <c>Ipc-Sig</c>: the sender's shape fingerprint and canonical signature of the method, checked by the
    /// receiver (<see cref="FingerprintMismatch(in WireFrame.Header, in ReadOnlySequence{byte}?)"/>). <c>Ipc-From</c> on an
    /// aggregator event. <c>traceparent</c> and <c>tracestate</c>: copies of the frame's trace-context prefix for NATS-side
    /// tools (the frame stays authoritative). Without trace context the headers of a method are the same every time, so
    /// one read-only instance per method is kept: an event costs no header objects.
    /// </summary>
    private NatsHeaders? Headers(in WireFrame.Header header, in ReadOnlySequence<byte> frame, out long headerBytes, bool from = false) =>
        WithTraceContext(from ? _fromHeaders ??= new MethodHeaders(NewHeaders(FromHeader, _instance)) : ShapeHeaders(header.ContractId, header.MethodId),
            header, frame, out headerBytes);

    /// <summary><paramref name="shared"/>, plus <c>traceparent</c> and <c>tracestate</c> when the frame carries a trace context.</summary>
    private static NatsHeaders? WithTraceContext(MethodHeaders? shared, in WireFrame.Header header, in ReadOnlySequence<byte> frame, out long headerBytes)
    {
        if ((header.Flags & WireFrame.TraceContextFlag) == 0 || !TraceContext.TryRead(frame.Slice(WireFrame.HeaderSize), out var parent, out var state))
        {
            headerBytes = shared?.Size ?? 0;
            return shared?.Headers;
        }
        var headers = new NatsHeaders();
        if (shared?.Headers is { } common)
            foreach (var (name, value) in common) headers[name] = value;
        headers["traceparent"] = parent;
        if (state.Length > 0) headers["tracestate"] = state;
        headerBytes = HeaderBlockSize(headers);
        return headers;
    }

    /// <summary>One method's headers, made once, and the bytes they add to a message (counted against <c>max_payload</c>).</summary>
    private sealed class MethodHeaders(NatsHeaders headers)
    {
        public NatsHeaders Headers { get; } = headers;
        public long Size { get; } = HeaderBlockSize(headers);
    }

    private MethodHeaders? ShapeHeaders(uint contractId, uint methodId)
    {
        var key = (ulong)contractId << 32 | methodId;
        if (_shapeHeaders.TryGetValue(key, out var cached)) return cached;
        if (_own is not { } own) return null; // before the handshake: nothing to say yet, and nothing kept
        MethodHeaders? made = null;
        if (own.Find(contractId, methodId) is { Fingerprint: not 0 } method)
        {
            var headers = NewHeaders(FingerprintHeader, method.Fingerprint.ToString(System.Globalization.CultureInfo.InvariantCulture));
            // A header value is printable ASCII; a signature with other characters (non-ASCII identifiers) is not sent, and a
            // receiver with another fingerprint then refuses the shape, as it did before signatures travelled.
            if (method.Signature.Length > 0 && !method.Signature.AsSpan().ContainsAnyExceptInRange((char)0x20, (char)0x7E))
                headers[SignatureHeader] = method.Signature;
            made = new MethodHeaders(headers);
        }
        return _shapeHeaders.GetOrAdd(key, made);
    }

    private static NatsHeaders NewHeaders(string name, string value) => new() { [name] = value };

    private async Task PongAsync(ulong correlationId, ulong durableThrough)
    {
        try
        {
            // A Pong means the broker has stored every durable event published before the Ping.
            // ... and every durable subscription made before it has its consumer on the broker.
            if (_durable is not null)
            {
                if (durableThrough != 0) await _durable.WaitAcknowledgedAsync(durableThrough).ConfigureAwait(false);
                await _durable.ConsumersReady.ConfigureAwait(false);
            }
            await _nats.PingAsync().ConfigureAwait(false); // the round trip a Ping measures is the one to the broker
            await WriteInputAsync(WireFrame.Build(WireFrame.Pong, 0, 0, 0, correlationId, [])).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // the connection is ending; the Ping fails with it
        }
    }

    // ---------------------------------------------------------------- from NATS to the core

    private ValueTask OnReplyAsync(string subject, string? replyTo, ReadOnlySequence<byte>? headers, ReadOnlySequence<byte> payload)
    {
        if (!ulong.TryParse(subject.AsSpan(subject.LastIndexOf('.') + 1), out var id)) return default;
        if (RawHeaders.Status(headers) == 503)
        {
            _replyParts.Drop(id);
            _upstreams.TryRemove(id, out _);
            if (!_outCalls.TryRemove(id, out var call)) return default;
            if (call.Bus)
            {
                var type = MessageTypeRegistry.FindName(call.Method) ?? $"0x{call.Method:X8}";
                return WriteInputAsync(WireFrame.BuildError(RequestOf(id, call), "mismatch",
                    "IpcContracts.ContractMismatchException",
                    $"Nothing answers '{type}' on {PeerDescription}: no process subscribes to {_address.BusRequest(call.Method)} (NATS no responders).", "$bus", type));
            }
            var alias = _own?.AliasOf(call.Contract) ?? $"0x{call.Contract:X8}";
            return WriteInputAsync(WireFrame.BuildError(RequestOf(id, call), "mismatch",
                "IpcContracts.ContractMismatchException",
                $"Nothing serves contract {alias} on {PeerDescription}: no process subscribes to {_address.Request(call.Contract)} (NATS no responders).", alias));
        }
        var headerRead = WireFrame.TryReadHeader(payload, out var header);
        switch (_replyParts.Take(id, payload, _outCalls.ContainsKey(id), headerRead, header, _options.MaxPayloadLength, out var whole, out var wholeLength))
        {
            case ReplyParts.Outcome.Held:
                return default;
            case ReplyParts.Outcome.Whole:
                return HandOverWholeReplyAsync(id, replyTo, whole, wholeLength);
            case ReplyParts.Outcome.TooLarge:
                return RefuseLargeReplyAsync(id, header.FrameLength);
        }
        if (!headerRead || header.FrameLength != payload.Length || header.CorrelationId != id) return default;
        return RouteReplyAsync(id, replyTo, header, payload);
    }

    /// <summary>One whole frame for call <paramref name="id"/> from its reply subject, in one message or put together from parts.</summary>
    private ValueTask RouteReplyAsync(ulong id, string? replyTo, in WireFrame.Header header, in ReadOnlySequence<byte> frame)
    {
        if ((header.Flags & WireFrame.UpstreamFlag) != 0)
            return header.Kind is WireFrame.StreamCredit or WireFrame.Cancel ? OnUpstreamControlAsync(id, replyTo, frame) : default;
        if (header.Kind is not (WireFrame.Response or WireFrame.Error or WireFrame.StreamItem or WireFrame.Progress))
            return default;
        if (header.Kind is WireFrame.Response or WireFrame.Error)
        {
            _outCalls.TryRemove(id, out _); // an item or a report leaves the call open
            _upstreams.TryRemove(id, out _);
        }
        return WriteInputAsync(frame);
    }

    /// <summary>A frame that arrived in parts, whole now: routed like one that came in one message, then its array goes back.</summary>
    private async ValueTask HandOverWholeReplyAsync(ulong id, string? replyTo, byte[] whole, int length)
    {
        try
        {
            var frame = new ReadOnlySequence<byte>(whole, 0, length);
            if (WireFrame.TryReadHeader(frame, out var header)) await RouteReplyAsync(id, replyTo, header, frame).ConfigureAwait(false);
        }
        finally
        {
            ReplyParts.Return(whole);
        }
    }

    /// <summary>
    /// The first part of a reply larger than this side takes (<see cref="IpcOptions.MaxPayloadLength"/>): nothing of it is
    /// held, the call fails with the reason (Error bad_payload from the transport to its core) and a Cancel tells the serving
    /// process; the parts that follow find no frame to join and are ignored.
    /// </summary>
    private async ValueTask RefuseLargeReplyAsync(ulong id, long frameLength)
    {
        if (!_outCalls.TryRemove(id, out var call)) return;
        _upstreams.TryRemove(id, out _);
        var error = WireFrame.BuildError(RequestOf(id, call), "bad_payload", "IpcContracts.IpcProtocolException",
            $"The reply is {frameLength} bytes; this side takes frames of at most {_options.MaxPayloadLength} payload bytes (IpcOptions.MaxPayloadLength), so the call failed.");
        await PublishCancelAsync(id).ConfigureAwait(false);
        await WriteInputAsync(error).ConfigureAwait(false);
    }

    /// <summary>The header of this connection's Request for call <paramref name="id"/>, for an Error this side answers it with.</summary>
    private static WireFrame.Header RequestOf(ulong id, (uint Contract, uint Method, bool Bus) call) => call.Bus
        ? new WireFrame.Header(WireFrame.Request, WireFrame.BusFlag, 0, call.Method, id, 0)
        : new WireFrame.Header(WireFrame.Request, 0, call.Contract, call.Method, id, 0);

    /// <summary>Tells the process running call <paramref name="id"/> that it ended here, as the core's own Cancel does (<c>P.cancel</c>).</summary>
    private ValueTask PublishCancelAsync(ulong id) =>
        _nats.PublishAsync(_address.Cancel, new ReadOnlySequence<byte>(WireFrame.Build(WireFrame.Cancel, 0, 0, 0, id, [])), replyTo: ReplySubject(id),
            serializer: Raw);

    private ValueTask OnRequestAsync(string subject, string? replyTo, ReadOnlySequence<byte>? headers, ReadOnlySequence<byte> payload)
    {
        if (replyTo is null || !WireFrame.TryReadMessage(payload, out var header) || header.Kind != WireFrame.Request || header.CorrelationId == 0)
            return default; // not a request of this protocol, or nowhere to answer
        if (FingerprintMismatch(header, headers) is { } mismatch)
        {
            var method = _own!.Find(header.ContractId, header.MethodId)!;
            return _nats.PublishAsync(replyTo, new ReadOnlySequence<byte>(WireFrame.BuildError(header, "mismatch", "IpcContracts.ContractMismatchException",
                mismatch, _own.AliasOf(header.ContractId), method.Name)), serializer: Raw);
        }
        var local = (ulong)Interlocked.Increment(ref _nextInboundId);
        _inCalls.Add(local, replyTo, header.CorrelationId);
        return WriteInputAsync(payload, local);
    }

    private ValueTask OnCancelAsync(string subject, string? replyTo, ReadOnlySequence<byte>? headers, ReadOnlySequence<byte> payload) =>
        replyTo is not null && _inCalls.TryFind(replyTo, out var local)
            ? WriteInputAsync(WireFrame.Build(WireFrame.Cancel, 0, 0, 0, local, []))
            : default;

    private ValueTask OnCreditAsync(string subject, string? replyTo, ReadOnlySequence<byte>? headers, ReadOnlySequence<byte> payload) =>
        replyTo is not null && _inCalls.TryFind(replyTo, out var local) && WireFrame.TryReadMessage(payload, out var header)
            && header.Kind == WireFrame.StreamCredit
            ? WriteInputAsync(payload, local)
            : default;

    private ValueTask OnEventAsync(string subject, string? replyTo, ReadOnlySequence<byte>? headers, ReadOnlySequence<byte> payload)
    {
        // One Event frame, or a batch: several of one method back to back (TakeEventBatch), handed to the core in one write.
        if (!WireFrame.TryReadEvents(payload, out var header, out var count, out var lastAt)) return default;
        if ((header.Flags & WireFrame.BusFlag) != 0)
        {
            // Aggregator messages have no shape to check: the type name is the contract.
            return RawHeaders.Find(headers, FromHeader) == _instance
                ? default // this connection's own aggregator message, already delivered in this process
                : HandOverEventsAsync(payload, lastAt);
        }
        if (!NatsAddress.TryEventFingerprint(subject, out var theirs)) return default; // not P.evt.C.F: not an event of this protocol
        if (FingerprintMismatch(header, theirs, headers) is { } mismatch)
        {
            // Like an event that does not parse: reported here, never to the publisher, which has no one to tell.
            _options.ReportEventHandlerException(new ContractMismatchException(_own!.AliasOf(header.ContractId),
                _own.Find(header.ContractId, header.MethodId)?.Name, count == 1 ? $"An event was dropped: {mismatch}" : $"{count} events were dropped: {mismatch}"));
            return default;
        }
        return HandOverEventsAsync(payload, lastAt);
    }

    // ---------------------------------------------------------------- how far ahead of its subscribers the core reads

    /// <summary>
    /// Bytes of (not durable) events this connection hands to the core beyond what its subscribers have finished with, before
    /// it waits: past it the NATS client's reader waits too, and what follows stays with the broker and in TCP, as with a raw
    /// subscription in wait mode. Without it a burst went whole into the core's event queue (up to
    /// <see cref="EventDeliveryOptions.MaxQueuedBytes"/>, 64 MiB): tens of megabytes of live queued blocks that the garbage
    /// collector promoted and copied through generations 1 and 2, which cost the subscriber more than the events' own
    /// delivery (docs/benchmarks.md, "nats:// events, round four").
    /// </summary>
    internal const long EventReadAhead = 1 << 20;

    /// <summary>Where a wait for the subscribers ends: half the read-ahead, so the reader takes several messages per wake-up.</summary>
    internal const long EventReadAheadResume = EventReadAhead / 2;

    /// <summary>
    /// How long the reader waits for subscribers that finish nothing at all (stuck, or starved of CPU that long). Past it the
    /// bound is lifted until they catch up to <see cref="EventReadAheadResume"/>: events then go into the core's queue as they
    /// come and the process's own overflow policy applies, as on every transport.
    /// </summary>
    internal static readonly TimeSpan EventReadAheadStall = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// The longest one wait lasts while the subscribers do make progress (slower than the stream): past it the bound is lifted
    /// the same way. Calls and replies that arrive behind events wait for the reader too, so this bounds their delay.
    /// </summary>
    internal static readonly TimeSpan EventReadAheadMaxWait = TimeSpan.FromSeconds(2);

    /// <summary>
    /// This connection's <see cref="EventReadAheadStall"/> and <see cref="EventReadAheadMaxWait"/>. Tests that look at the
    /// bound while it holds set them longer: with the defaults the bound lifts 250 ms after a subscriber stops, and a test
    /// process busy with other tests may look later than that.
    /// </summary>
    internal TimeSpan ReadAheadStall { get; set; } = EventReadAheadStall;

    /// <inheritdoc cref="ReadAheadStall"/>
    internal TimeSpan ReadAheadMaxWait { get; set; } = EventReadAheadMaxWait;

    /// <summary>
    /// The delivery tag of a run of events (bit 63; durable events' tags count up from 1 and never reach it); its low 32 bits
    /// are the run's length in bytes, so giving it back needs no table.
    /// </summary>
    private const ulong RunTag = 1UL << 63;

    private long _eventBytesInCore; // handed to the core, not yet given back (RunHandled)
    private int _readAheadLifted; // 1: a wait gave up (EventReadAheadStall, EventReadAheadMaxWait); none until the core is down to EventReadAheadResume
    private long _readAheadWaits; // waits that found the core over the bound (tests)
    private TaskCompletionSource? _eventRoom; // the reader waiting for the subscribers (one reader: at most one)

    /// <summary>Bytes of events handed to the core whose subscribers have not finished with them (tests, diagnostics).</summary>
    internal long EventBytesInCore => Volatile.Read(ref _eventBytesInCore);

    /// <summary>How many times the reader waited because the core held more than <see cref="EventReadAhead"/> bytes of events (tests).</summary>
    internal long ReadAheadWaits => Volatile.Read(ref _readAheadWaits);

    /// <summary>
    /// Hands one message of events (one frame, or a run) to the core with a delivery tag on its last frame, whose return
    /// (<see cref="EventHandled"/>: the core gives tags back in order, once every subscriber is done with the event, or
    /// at once when it has none or drops it) tells that the whole run is done with. Waits first while more than
    /// <see cref="EventReadAhead"/> bytes are in the core.
    /// </summary>
    private ValueTask HandOverEventsAsync(in ReadOnlySequence<byte> payload, long lastAt)
    {
        var length = payload.Length;
        if (length > uint.MaxValue) return WriteInputAsync(payload); // cannot be: max_payload is below 4 GiB; untagged, uncounted
        var tag = RunTag | (ulong)length;
        if (Volatile.Read(ref _eventBytesInCore) > EventReadAhead && Volatile.Read(ref _readAheadLifted) == 0 && Volatile.Read(ref _inputEnded) == 0)
            return WaitThenHandOverAsync(payload, lastAt, tag);
        Interlocked.Add(ref _eventBytesInCore, length);
        return WriteInputAsync(payload, tagAt: lastAt, tag: tag);
    }

    private async ValueTask WaitThenHandOverAsync(ReadOnlySequence<byte> payload, long lastAt, ulong tag)
    {
        await WaitForEventRoomAsync().ConfigureAwait(false);
        Interlocked.Add(ref _eventBytesInCore, payload.Length);
        await WriteInputAsync(payload, tagAt: lastAt, tag: tag).ConfigureAwait(false);
    }

    /// <summary>
    /// Until the core holds at most <see cref="EventReadAheadResume"/> bytes of events or the input ends; or, lifting the bound
    /// until the core catches up, until the subscribers have finished nothing for <see cref="EventReadAheadStall"/> or
    /// <see cref="EventReadAheadMaxWait"/> has passed.
    /// </summary>
    private async Task WaitForEventRoomAsync()
    {
        Interlocked.Increment(ref _readAheadWaits);
        var giveUp = Environment.TickCount64 + (long)ReadAheadMaxWait.TotalMilliseconds;
        while (true)
        {
            var room = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously); // not continued on the core's event loop
            Interlocked.Exchange(ref _eventRoom, room);
            // Read again after the waiter is in place: a run given back in between found no waiter to wake.
            var before = Volatile.Read(ref _eventBytesInCore);
            if (before <= EventReadAheadResume || Volatile.Read(ref _inputEnded) != 0)
            {
                Interlocked.CompareExchange(ref _eventRoom, null, room);
                return;
            }
            try
            {
                await room.Task.WaitAsync(ReadAheadStall).ConfigureAwait(false);
                return;
            }
            catch (TimeoutException)
            {
                Interlocked.CompareExchange(ref _eventRoom, null, room);
            }
            // Nothing is handed over while the reader waits, so the bytes only fall when the subscribers finish something.
            if (Volatile.Read(ref _eventBytesInCore) >= before || Environment.TickCount64 >= giveUp)
            {
                Volatile.Write(ref _readAheadLifted, 1);
                return;
            }
        }
    }

    /// <summary>The core is done with a run of <paramref name="length"/> bytes: a reader waiting for room may go on.</summary>
    private void RunHandled(long length)
    {
        if (Interlocked.Add(ref _eventBytesInCore, -length) > EventReadAheadResume) return;
        if (Volatile.Read(ref _readAheadLifted) != 0) Volatile.Write(ref _readAheadLifted, 0);
        if (Volatile.Read(ref _eventRoom) is not null) Interlocked.Exchange(ref _eventRoom, null)?.TrySetResult();
    }

    /// <summary>One message of a durable consumer: handed to the core under <paramref name="tag"/>; false when it is not taken (reported).</summary>
    private async ValueTask<bool> DeliverDurableAsync(ReadOnlySequence<byte> payload, ulong tag, string? subject, string? signature)
    {
        if (!WireFrame.TryReadMessage(payload, out var header) || header.Kind != WireFrame.Event)
        {
            _options.ReportEventHandlerException(new IpcProtocolException(ProtocolError.BadPayload,
                $"A durable event from {PeerDescription} was dropped: the message is not one IpcContracts Event frame."));
            return false;
        }
        if (subject is null || !NatsAddress.TryEventFingerprint(subject, out var theirs))
        {
            _options.ReportEventHandlerException(new IpcProtocolException(ProtocolError.BadPayload,
                $"A durable event from {PeerDescription} was dropped: its subject '{subject}' is not an event subject P.evt.C.F."));
            return false;
        }
        if (FingerprintMismatch(header, theirs, signature) is { } mismatch)
        {
            _options.ReportEventHandlerException(new ContractMismatchException(_own!.AliasOf(header.ContractId),
                _own.Find(header.ContractId, header.MethodId)?.Name, $"A durable event was dropped: {mismatch}"));
            return false;
        }
        await WriteInputAsync(payload, tag).ConfigureAwait(false);
        return true;
    }

    private ValueTask OnManifestRequestAsync(string subject, string? replyTo, ReadOnlySequence<byte>? headers, ReadOnlySequence<byte> payload) =>
        replyTo is not null && _own is { } own
            ? _nats.PublishAsync(replyTo, new ReadOnlySequence<byte>(own.Json), serializer: Raw)
            : default;

    /// <summary>
    /// The sender's shape (a request's headers <c>Ipc-Fp</c> and <c>Ipc-Sig</c>) against this process's, when both fingerprints
    /// are known and differ: a text for the mismatch, or null when the shapes can talk (<see cref="MethodShapes"/>, the rule
    /// every transport applies: equal, or differing only by optional trailing parameters). Only the fingerprint is read for a
    /// message of the same shape.
    /// </summary>
    private string? FingerprintMismatch(in WireFrame.Header header, in ReadOnlySequence<byte>? headers) =>
        RawHeaders.TryFindUInt64(headers, FingerprintHeader, out var theirs) ? FingerprintMismatch(header, theirs, headers) : null;

    /// <summary>The same for a fingerprint read elsewhere (an event's subject); <c>Ipc-Sig</c> is read only when they differ.</summary>
    private string? FingerprintMismatch(in WireFrame.Header header, ulong theirs, in ReadOnlySequence<byte>? headers)
    {
        if (theirs == 0 || _own?.Find(header.ContractId, header.MethodId) is not { Fingerprint: not 0 } mine || theirs == mine.Fingerprint) return null;
        return ShapeMismatch(header, mine, theirs, RawHeaders.Find(headers, SignatureHeader));
    }

    private string? FingerprintMismatch(in WireFrame.Header header, ulong theirs, string? signature)
    {
        if (theirs == 0 || _own?.Find(header.ContractId, header.MethodId) is not { Fingerprint: not 0 } mine || theirs == mine.Fingerprint) return null;
        return ShapeMismatch(header, mine, theirs, signature);
    }

    private string? ShapeMismatch(in WireFrame.Header header, BrokerManifest.Method mine, ulong theirs, string? signature)
    {
        var alias = _own!.AliasOf(header.ContractId);
        // The verdict is kept per method and sender shape: messages of one older or newer peer are judged once. A sender sends
        // one signature per fingerprint (or none); the table is bounded so a stream of made-up fingerprints cannot grow it
        // without end.
        var key = (header.ContractId, header.MethodId, theirs, signature is not null);
        if (!_shapeVerdicts.TryGetValue(key, out var why))
        {
            // Without a signature the sender's shape has no optional parameters (a sender sends Ipc-Sig whenever it has them), and
            // the shapes without optional parameters this one accepts are few enough to compare by fingerprint.
            why = signature is not null ? MethodShapes.Incompatibility(mine.Signature, signature)
                : MethodShapes.AcceptsFingerprintWithoutOptionals(mine.Signature, theirs) ? null
                : "";
            if (_shapeVerdicts.Count < MaxShapeVerdicts) _shapeVerdicts.TryAdd(key, why);
        }
        if (why is null) return null;
        return signature is null
            ? $"Method '{mine.Name}' of contract '{alias}' has another shape here: {mine.Signature} (fingerprint {mine.Fingerprint}); the sender's fingerprint is {theirs}, which is not this shape's without some of its optional trailing parameters, and it sent no signature ({SignatureHeader}) to compare."
            : $"Method '{mine.Name}' of contract '{alias}' has another shape here: {mine.Signature}, the sender's is {signature} ({why}).";
    }

    /// <summary>Hands one whole frame to the core, optionally with another correlation ID. Waits while the core is behind.</summary>
    private ValueTask WriteInputAsync(byte[] frame) => WriteInputAsync(new ReadOnlySequence<byte>(frame));

    // Pooled: when the core is behind (the pipe's pause threshold), every message received waits here, and each wait would
    // otherwise allocate its state machine. Every caller awaits the ValueTask once (the NATS client's reader, or this class).
    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask WriteInputAsync(ReadOnlySequence<byte> frame, ulong? correlationId = null, bool gated = true, long tagAt = -1, ulong tag = 0)
    {
        if (gated && !_helloWritten.Task.IsCompleted) await _helloWritten.Task.ConfigureAwait(false);
        await _inLock.WaitAsync().ConfigureAwait(false);
        try
        {
            if (Volatile.Read(ref _inputEnded) != 0) return;
            var writer = _in.Writer;
            if (correlationId is { } id)
            {
                var span = writer.GetSpan((int)frame.Length);
                frame.CopyTo(span);
                WireFrame.PatchCorrelation(span, id);
                writer.Advance((int)frame.Length);
            }
            else if (tagAt >= 0)
            {
                // A run of events, its last frame's correlation ID replaced by the delivery tag (HandOverEventsAsync).
                var tagFrom = tagAt + WireFrame.CorrelationAt;
                foreach (var segment in frame.Slice(0, tagFrom)) writer.Write(segment.Span);
                System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(writer.GetSpan(sizeof(ulong)), tag);
                writer.Advance(sizeof(ulong));
                foreach (var segment in frame.Slice(tagFrom + sizeof(ulong))) writer.Write(segment.Span);
            }
            else
            {
                // Segment by segment into the pipe's own blocks: a batch of events (up to 32 KiB) needs no block of its size.
                foreach (var segment in frame) writer.Write(segment.Span);
            }
            await writer.FlushAsync().ConfigureAwait(false);
        }
        catch (Exception) when (Volatile.Read(ref _inputEnded) != 0)
        {
            // the connection ended while this frame was being handed over
        }
        finally
        {
            _inLock.Release();
        }
    }

    /// <summary>Ends the stream the core reads: it sees the connection lost (or closed, after its own Goodbye).</summary>
    private void EndInput()
    {
        if (Interlocked.Exchange(ref _inputEnded, 1) != 0) return;
        _in.Writer.CancelPendingFlush(); // a write waiting for the core gives up, then the lock is free
        Interlocked.Exchange(ref _eventRoom, null)?.TrySetResult(); // a reader waiting for the subscribers goes on (and hands nothing over)
        _replyParts.Clear(); // parts of large replies that will not be completed
        _ = Task.Run(async () =>
        {
            await _inLock.WaitAsync().ConfigureAwait(false);
            try { await _in.Writer.CompleteAsync().ConfigureAwait(false); }
            finally { _inLock.Release(); }
        });
        _helloWritten.TrySetException(new ChannelFaultedException($"The connection to the NATS server {PeerDescription} ended."));
        _ = _helloWritten.Task.Exception; // observed: nobody may be waiting
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            await _closed.Task.ConfigureAwait(false);
            return;
        }
        _nats.ConnectionDisconnected -= OnBrokerDisconnected;
        EndInput();
        if (_durable is not null) await _durable.StopAsync().ConfigureAwait(false);
        _out.Reader.CancelPendingRead();
        try { await _pump.WaitAsync(TimeSpan.FromSeconds(2)).ConfigureAwait(false); } catch { }
        await _out.Reader.CompleteAsync().ConfigureAwait(false);
        try { await _nats.DisposeAsync().ConfigureAwait(false); } catch { }
        _closed.TrySetResult();
    }
}
