using System.Collections.Concurrent;
using IpcContracts.Connections;
using IpcContracts.Protocol;
using IpcContracts.Runtime;
using IpcContracts.Transports;

namespace IpcContracts;

/// <summary>
/// One persistent duplex connection to a peer process. Both sides are equal: either may call,
/// publish to, or subscribe on the other. Many calls may be in flight; they are matched by
/// correlation ID. Events are delivered in order.
/// </summary>
public sealed partial class IpcConnection : IOutboundChannel, IAsyncDisposable
{
    private readonly ITransportConnection _transport;
    private readonly bool _blockingReads;
    private readonly IDirectReader? _directReader; // large binary frames are read straight into their arrays (LargeFrame)
    private readonly IPeekingReader? _peekingReader; // and a Stream's chunks into their lent buffers, seen before a pipe read takes them (shm)
    private readonly IReceiveLowWater? _lowWater; // a read of part of a large frame wakes once per many bytes (Linux TCP)
    private readonly bool _callOrigins;
    private readonly LocalHandlers _local;
    private readonly FrameSender _sender;
    private readonly InboundEventQueue _events;
    private Timer? _timer;
    private readonly CallTable<PendingCall> _pending = new();
    private readonly CallTable<InboundRequest> _inbound = new();
    // Argument streams this side is sending for its own pending calls, by call ID (docs/protocol.md 7.9).
    private readonly ConcurrentDictionary<ulong, IUpstream> _upstreams = new();
    private readonly ConcurrentDictionary<SubscriptionKey, byte> _peerSubscriptions = new();
    private readonly TaskCompletionSource<PeerManifest> _handshake = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<ChannelFaultedException> _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _lifetime = new();
    private readonly Action<SubscriptionKey, bool> _subscriptionListener;
    private readonly Action<BusRequestHandler, bool>? _busHandlerListener;
    private PeerManifest? _peer;
    private Exception? _fault;
    private long _nextCorrelationId;
    private int _disposed;
    private bool _goodbyeReceived;
    private Task _readLoop = Task.CompletedTask;
    private Task _eventLoop = Task.CompletedTask;

    private IpcConnection(ITransportConnection transport, LocalHandlers local)
    {
        _transport = transport;
        _local = local;
        _blockingReads = (transport.Features & TransportFeatures.BlockingReads) != 0;
        _directReader = transport as IDirectReader;
        _peekingReader = transport as IPeekingReader;
        _lowWater = transport is IReceiveLowWater { LowWaterSupported: true } lowWater ? lowWater : null;
        _callOrigins = (transport.Features & TransportFeatures.CallOrigins) != 0;
        ContinuationsOnReaderThread = local.Options.ContinuationsOnReaderThread ?? (_blockingReads && (transport.Features & TransportFeatures.PooledContinuations) == 0);
        DefersReplies = !ContinuationsOnReaderThread && !_blockingReads && (transport.Features & TransportFeatures.InlineReads) == 0;
        _subscriptionListener = OnLocalSubscriptionChanged;
        if ((transport.Features & TransportFeatures.BusHandlerChanges) != 0) _busHandlerListener = OnLocalBusHandlerChanged;
        _sender = new FrameSender(transport.Output, local.Options, OnSenderFault, () => PeerDescription, SetTimerForWatch);
        _events = new InboundEventQueue(this, local);
    }

    internal IpcOptions Options => _local.Options;

    /// <summary>
    /// A Stream's chunks may be up to 1 MiB here (ByteChunkFrames): the transport reads the rest of a large frame straight
    /// into the core's memory (<see cref="IDirectReader"/>) from a socket (pipe, tcp). Not on shm: a 1 MiB chunk does not
    /// fit the default 1 MiB ring with its header, so each chunk's writer and reader meet mid-frame and spin for each
    /// other (counts: 24 MiB Stream on shm took 15 + 15 ms of CPU in one of two runs, against 3.6 + 4.4 with 256 KiB).
    /// shm is the transport that lets the core peek at its ring (<see cref="IPeekingReader"/>); a socket read on a thread of
    /// its own reads large frames directly too. The peer is on the same kind of transport.
    /// </summary>
    internal bool TakesLargeChunks => _directReader is not null && _peekingReader is null;

    /// <summary>The transport takes delivery tags in inbound events and wants them back (<see cref="TransportFeatures.EventAcknowledgements"/>).</summary>
    internal bool AcknowledgesEvents => (_transport.Features & TransportFeatures.EventAcknowledgements) != 0;

    /// <summary>Tells the transport of an aggregator request handler added or removed; a transport that throws cannot stop the registration.</summary>
    private void OnLocalBusHandlerChanged(BusRequestHandler handler, bool added)
    {
        try
        {
            _transport.BusRequestHandlerChanged(handler.RequestTypeId, handler.Name, handler.Fingerprint, added);
        }
        catch (Exception)
        {
            // The transport's own failure; the handler stays registered for every other connection.
        }
    }

    /// <summary>Tells the transport an event with <paramref name="deliveryTag"/> is done; a transport that throws cannot stop delivery.</summary>
    internal void EventHandled(ulong deliveryTag)
    {
        try
        {
            _transport.EventHandled(deliveryTag);
        }
        catch (Exception e)
        {
            Options.ReportEventHandlerException(new IpcException($"The transport to {PeerDescription} failed to take an event acknowledgement: {e.Message}", e));
        }
    }

    /// <summary>Whether a caller's continuation runs on the thread that read the reply (see <see cref="IpcOptions.ContinuationsOnReaderThread"/>).</summary>
    internal bool ContinuationsOnReaderThread { get; private set; }

    /// <summary>
    /// Whether replies read by the loop resume their callers when the loop next waits for bytes, on the thread that read
    /// them, after the next read is armed (<see cref="ResumeCallersWhenArmed"/>): the caller's continuation then needs no
    /// thread-pool work item of its own and still cannot hold up reading. Socket transports (async reads) with
    /// continuations off the reader thread; not a transport whose reads complete inline on its receiving thread
    /// (<see cref="TransportFeatures.InlineReads"/>), where the loop waits before that thread is back to receiving.
    /// </summary>
    internal bool DefersReplies { get; }

    /// <summary>Name the peer gave itself in the handshake.</summary>
    public string PeerName => _peer?.Name ?? "";

    /// <summary>Transport-level description of the peer.</summary>
    public string PeerDescription => _transport.PeerDescription;

    /// <summary>Requests from the peer currently running here.</summary>
    internal int InFlightRequests => _inbound.Count;

    /// <summary>This side's calls still waiting for their outcome (tests: a cancellation or deadline has taken a call out).</summary>
    internal int PendingCalls => _pending.Count;

    /// <summary>
    /// True once this side's Hello is queued, so a Ping may follow it. Set under the subscription lock: a subscription
    /// added after that lock was taken is in the Hello or, if this reads true afterwards, in a Subscribe frame already queued.
    /// </summary>
    internal bool HelloQueued => Volatile.Read(ref _helloQueued);

    private bool _helloQueued;

    /// <summary>True once the peer's Hello has arrived.</summary>
    internal bool IsEstablished => _peer is not null;

    /// <summary>False once the connection has faulted or been closed.</summary>
    public bool IsConnected => Volatile.Read(ref _fault) is null;

    /// <summary>
    /// Completes when the connection ends, with the exception its pending calls failed with; its
    /// <see cref="ChannelFaultedException.Reason"/> says how it ended (the peer said goodbye, vanished, ...).
    /// </summary>
    public Task<ChannelFaultedException> Completion => _closed.Task;

    internal CancellationToken Lifetime => _lifetime.Token;

    /// <summary>Requests whose binary argument is sent from the caller's memory and that have started to leave (tests).</summary>
    internal long BorrowedWritesStarted => _sender.BorrowedWritesStarted;

    /// <summary>Bytes queued for this peer and not yet taken by the transport.</summary>
    internal long SendQueueBytes => _sender.QueuedBytes;

    /// <summary>Events for this peer dropped by <see cref="EventOverflowPolicy.DropOldest"/>.</summary>
    internal long EventsDropped => _sender.DroppedEvents;

    /// <summary>Bytes of received events waiting for this process's subscribers.</summary>
    internal long ReceivedEventBytesQueued => _events.QueuedBytes;

    /// <summary>Received events dropped by <see cref="EventOverflowPolicy.DropOldest"/>.</summary>
    internal long ReceivedEventsDropped => _events.Dropped;

    /// <summary>The transport connection under this one (tests look at a transport's own state).</summary>
    internal ITransportConnection Transport => _transport;

    /// <summary>Completes when the read loop (and its thread, for shm) and the event loop have ended.</summary>
    internal Task LoopsCompleted => Task.WhenAll(_readLoop, _eventLoop);

    /// <summary>Opens the connection: sends Hello, starts the loops and waits for the peer's Hello.</summary>
    internal static async Task<IpcConnection> StartAsync(ITransportConnection transport, LocalHandlers local, CancellationToken cancellationToken,
        Action<IpcConnection>? beforeStart = null)
    {
        var connection = new IpcConnection(transport, local);
        // A server registers the connection before its reader runs: the peer may subscribe and call
        // right after its Hello, and a publish from that call must already see this connection.
        beforeStart?.Invoke(connection);
        connection.Start();
        try
        {
            await connection._handshake.Task.WaitAsync(local.Options.HandshakeTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            var error = new IpcProtocolException(ProtocolError.HandshakeTimeout,
                $"The peer {transport.PeerDescription} did not complete the handshake within {local.Options.HandshakeTimeout.TotalSeconds:0.#} s.");
            connection.Fault(new ChannelFaultedException(error.Message, DisconnectReason.Stalled, error));
            await connection.DisposeAsync().ConfigureAwait(false);
            throw error;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        return connection;
    }

    private void Start()
    {
        // Before the Hello: the transport knows every handler the Hello lists, and hears of each later change.
        if (_busHandlerListener is not null) _local.ListenToBusHandlers(_busHandlerListener);
        _local.ListenToSubscriptions(_subscriptionListener, subscriptions =>
        {
            TrySend(FrameBuilder.Value(new FrameHeaderTemplate(FrameKind.Hello, FrameFlags.None, 0, 0, 0), _local.BuildManifest(subscriptions),
                ProtocolJson.Default.Manifest, MaxHelloLength));
            Volatile.Write(ref _helloQueued, true); // under the subscription lock: see HelloQueued
        });
        // The loops must not inherit the opener's async-locals (its Activity, or the call context of a handler
        // that opened this connection): they serve every call on the connection.
        using (ExecutionContext.SuppressFlow())
        {
            // One timer per connection enforces every call's deadline (to within a tenth of the timeout, 10-250 ms),
            // the send-stall bound, the partial-frame bound and the keep-alive: no call or connection allocates a timer of its own.
            // It rests while the connection has nothing to watch (IpcConnection.Watchdog.cs).
            lock (_timerLock)
            {
                _timerPeriodMs = Math.Min(_timerPeriodMs, PeriodFor(Shortest(Options.DefaultCallTimeout, Options.SendStallTimeout, Options.PartialFrameTimeout, Options.KeepAliveInterval)));
                _timer = new Timer(static s => ((IpcConnection)s!).OnTimer(), this, _timerPeriodMs, _timerPeriodMs);
            }
            _readLoop = _blockingReads ? RunOnDedicatedThread(ReadLoopAsync) : Task.Run(ReadLoopAsync);
            _eventLoop = Task.Run(_events.RunAsync);
        }
    }

    private static int PeriodFor(double timeoutMs) => (int)Math.Clamp(timeoutMs / 10, 10, 250);

    private readonly Lock _timerLock = new();
    private int _timerPeriodMs = 250;

    /// <summary>
    /// Keeps "to within a tenth of the timeout" true for a call whose deadline (a method's or a scope's) is shorter than
    /// the connection's default: the timer's period only ever shrinks, to at least 10 ms, and the lock is taken only
    /// when it does, so calls at the usual deadlines pay one comparison.
    /// </summary>
    private void TimerResolutionFor(CallTimeout timeout)
    {
        if (timeout.IsInfinite) return;
        int period = PeriodFor(timeout.Value.TotalMilliseconds);
        if (period >= Volatile.Read(ref _timerPeriodMs)) return;
        lock (_timerLock)
        {
            if (period >= _timerPeriodMs) return;
            _timerPeriodMs = period;
            ApplyTimerPeriod(); // null timer before Start: Start reads _timerPeriodMs
        }
    }

    private static double Shortest(params ReadOnlySpan<TimeSpan> timeouts)
    {
        var shortest = double.MaxValue;
        foreach (var t in timeouts)
            if (t != Timeout.InfiniteTimeSpan) shortest = Math.Min(shortest, t.TotalMilliseconds);
        return shortest == double.MaxValue ? 2500 : shortest;
    }

    /// <summary>
    /// For transports whose reads block (spin, then sleep): the read loop gets its own thread, so it never
    /// holds a thread-pool thread and replies written inline leave from the thread that read the request.
    /// </summary>
    private static Task RunOnDedicatedThread(Func<Task> loop)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                loop().GetAwaiter().GetResult();
                done.TrySetResult();
            }
            catch (Exception e)
            {
                done.TrySetException(e);
            }
        })
        { IsBackground = true, Name = "IpcContracts reader" };
        thread.Start();
        return done.Task;
    }

    private void OnLocalSubscriptionChanged(SubscriptionKey key, bool added) =>
        TrySend(FrameBuilder.Empty(new FrameHeaderTemplate(added ? FrameKind.Subscribe : FrameKind.Unsubscribe,
            key.Bus ? FrameFlags.Bus : FrameFlags.None, key.Id, 0, 0)));

    /// <summary>A proxy for a [RequestContract] the peer handles (for a server, this is how it calls back into a client).</summary>
    public TContract Proxy<TContract>() where TContract : class =>
        ContractRegistry.Get<TContract>(ContractKind.Request).CreateProxy(this);

    /// <summary>A publisher that sends [EventContract] events to this peer (if it subscribed).</summary>
    public TContract Publisher<TContract>() where TContract : class =>
        ContractRegistry.Get<TContract>(ContractKind.Event).CreateProxy(this);

    internal bool PeerSubscribed(SubscriptionKey key) => _peerSubscriptions.ContainsKey(key);

    internal PeerManifest Peer => _peer ?? throw new InvalidOperationException("Handshake not complete.");

    private ulong NextId() => (ulong)Interlocked.Increment(ref _nextCorrelationId);

    private void OnTimer()
    {
        var now = Environment.TickCount64;
        _sender.CheckStall(now);
        NoteBytesBelowLowWater();
        CheckPartialFrame(now);
        CheckKeepAlive(now);
        if (!_pending.IsEmpty)
        {
            foreach (var (id, call) in _pending)
            {
                if (call.IsPastDeadline(now)) call.OnTimeout(id);
            }
        }
        AfterTick();
    }

    /// <summary>Ends the connection: every pending call fails with the reason, now.</summary>
    internal void Fault(Exception reason)
    {
        if (Interlocked.CompareExchange(ref _fault, reason, null) is not null) return;
        _timer?.Dispose();
        Diagnostics.IpcTelemetry.ConnectionClosed(this, reason, _peer is not null);
        _local.StopListening(_subscriptionListener);
        if (_busHandlerListener is not null) _local.StopListeningToBusHandlers(_busHandlerListener);
        _handshake.TrySetException(reason);
        foreach (var id in _pending.Keys)
        {
            if (!_pending.TryRemove(id, out var call)) continue;
            // Inline continuations would run callers' code here, inside whatever called Fault.
            if (ContinuationsOnReaderThread) ThreadPool.UnsafeQueueUserWorkItem(static s => s.Call.Fail(s.Reason), (Call: call, Reason: reason), false);
            else call.Fail(reason);
        }
        foreach (var request in _inbound.Values) request.Cancel();
        _sender.Complete();
        _events.Complete();
        try { _lifetime.Cancel(); } catch (AggregateException) { }
        _closed.TrySetResult(reason as ChannelFaultedException ?? new ChannelFaultedException(reason.Message, DisconnectReason.Unspecified, reason));
        // The transport is closed so the peer sees the end too, even if nobody disposes us.
        _ = Task.Run(async () =>
        {
            try { await _sender.Drained.WaitAsync(TimeSpan.FromSeconds(2)).ConfigureAwait(false); } catch { }
            try { await _transport.DisposeAsync().ConfigureAwait(false); } catch { }
        });
    }

    /// <summary>
    /// The send path failed or hit a bound. A write fails once the peer has closed its end, maybe with its Goodbye still
    /// unread here: the read loop, which meets the same end, tells a goodbye from a lost peer, so it gets a moment
    /// (bounded, should the read side stay open) to end the connection with that reason first.
    /// </summary>
    private void OnSenderFault(Exception reason)
    {
        if (reason is ChannelFaultedException { Reason: DisconnectReason.PeerLost } && !_readLoop.IsCompleted)
        {
            _ = EndAfterSendFailureAsync(reason);
            return;
        }
        Fault(reason);
    }

    /// <summary>
    /// Waits for the read loop to end the connection, for <see cref="SendFailureGrace"/> of reading: the time the loop
    /// spends waiting for local subscribers under the Wait policy does not count (that wait has its own bound, the
    /// policy's timeout), or a Goodbye behind the events it waits to hand over would be read too late and a peer that
    /// closed on purpose reported as lost (GoodbyeBeforeFailedWriteTests).
    /// </summary>
    private async Task EndAfterSendFailureAsync(Exception lost)
    {
        var graceFrom = Environment.TickCount64;
        while (!_readLoop.IsCompleted)
        {
            graceFrom = Volatile.Read(ref _readerWaitsForRoom) ? Environment.TickCount64 : Math.Max(graceFrom, Volatile.Read(ref _readerResumedAt));
            var left = graceFrom + (long)SendFailureGrace.TotalMilliseconds - Environment.TickCount64;
            if (left <= 0) break;
            try
            {
                await _readLoop.WaitAsync(TimeSpan.FromMilliseconds(left)).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                // Looked at again: the loop may have waited for subscribers meanwhile.
            }
        }
        Fault(Volatile.Read(ref _goodbyeReceived)
            ? new ChannelFaultedException($"The peer {PeerDescription} closed the connection.", DisconnectReason.ClosedByPeer, lost)
            : lost);
    }

    private static readonly TimeSpan SendFailureGrace = TimeSpan.FromSeconds(2);

    /// <summary>Says goodbye, flushes what is queued and closes the transport.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            await _closed.Task.ConfigureAwait(false);
            return;
        }
        if (IsConnected)
            TrySend(FrameBuilder.Empty(new FrameHeaderTemplate(FrameKind.Goodbye, FrameFlags.None, 0, 0, 0)));
        // Whatever is queued (a Goodbye, or the Error explaining a protocol fault) leaves before we hang up.
        _sender.Complete();
        try { await _sender.Drained.WaitAsync(TimeSpan.FromSeconds(2)).ConfigureAwait(false); } catch { }
        Fault(new ChannelFaultedException($"The connection to {PeerDescription} was closed by this process.", DisconnectReason.ClosedLocally));
        try { await _transport.DisposeAsync().ConfigureAwait(false); } catch { }
        try { await _readLoop.WaitAsync(TimeSpan.FromSeconds(2)).ConfigureAwait(false); } catch { }
        if (!IpcCallContext.IsEventLoop(this))
        {
            try { await _eventLoop.WaitAsync(TimeSpan.FromSeconds(2)).ConfigureAwait(false); } catch { }
        }
        _lifetime.Dispose();
    }
}
