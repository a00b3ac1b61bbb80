using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using IpcContracts.Diagnostics;

namespace IpcContracts.Connections;

/// <summary>
/// The one send path of a connection: a bounded FIFO of whole frames and a single writer that drains it
/// into the transport's <see cref="PipeWriter"/>.
/// </summary>
/// <remarks>
/// <para>Liveness rule: no sender ever waits for the peer here. The thread that queues a frame writes it at
/// once when no other thread is writing (no hop on the latency path), but a transport write that cannot finish
/// now (socket buffer or shared-memory ring full) is awaited asynchronously; later frames simply queue behind it
/// and their callers' tasks stay pending. Transports must therefore never block inside
/// <see cref="PipeWriter.FlushAsync"/>/<see cref="PipeWriter.WriteAsync"/>: they return a pending task instead.</para>
/// <para>Memory rule: a frame's bytes count against the bound from the moment it is queued until the transport
/// has taken them. Frames of other kinds beyond <see cref="IpcOptions.MaxSendQueueBytes"/> close the connection;
/// events beyond <see cref="EventDeliveryOptions.MaxQueuedBytes"/> follow their contract's
/// <see cref="EventOverflowPolicy"/>. A transport write (one batch, or one large frame) still unfinished after <see cref="IpcOptions.SendStallTimeout"/>
/// closes the connection too (a stopped peer), so nothing waits forever.</para>
/// <para>The queue is a lock-protected ring of entries: the lock makes "queue empty, give up the writer role"
/// atomic with "frame queued, take the writer role", so a frame can never be stranded, and lets the drop-oldest
/// policy remove an event that the writer has not taken yet.</para>
/// </remarks>
internal sealed class FrameSender : IThreadPoolWorkItem
{
    private readonly object _lock = new(); // a Monitor: the Wait policy waits on it
    private readonly PipeWriter _output;
    private readonly IpcOptions _options;
    private readonly Action<Exception> _fault;
    private readonly Func<string> _peer;
    private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);

    // Ring of queued entries addressed by absolute sequence numbers: [_head, _tail) are queued.
    private Entry[] _entries = new Entry[64];
    private long _head;
    private long _tail;
    private long _queuedBytes;       // queued + being written
    private long _queuedEventBytes;  // the event part of _queuedBytes
    private bool _writing;
    private bool _completed;
    private bool _broken;
    private int _waiters;            // publishers blocked by the Wait policy
    private long _pendingSinceTicks; // a transport write that did not finish synchronously started then (0: none)
    private long _droppedEvents;
    private Entry[] _batch = new Entry[64];

    public FrameSender(PipeWriter output, IpcOptions options, Action<Exception> fault, Func<string> peerDescription, Action? watchWoken = null)
    {
        _output = output;
        _options = options;
        _fault = fault;
        _peer = peerDescription;
        _watchWoken = watchWoken;
        _onPendingDone = OnPendingDone;
        _handsOffBursts = output is Transports.IGatheringWriter;
    }

    // A socket's writer (the one kind that gathers): each flush there is a system call, which on loopback TCP also runs
    // the receiving side's network stack, so a burst written frame by frame costs a send per frame; a work item per batch
    // is cheaper. Elsewhere a flush is a copy into a ring or an in-process pipe, cheaper than the hand-off, and batching a
    // burst only makes a shared-memory consumer catch up and sleep more often: there TrySendSoon is TrySend.
    private readonly bool _handsOffBursts;

    // 1 while the connection's watchdog (its timer) rests: nothing queued, nothing being written, no call pending. The
    // first frame queued after that wakes it (WakeWatch) once it has left the lock, which orders the two: see TryRestWatch.
    private int _watchResting;
    private readonly Action? _watchWoken;

    /// <summary>Whether the watchdog rests (<see cref="TryRestWatch"/>) and no frame or wake-up has ended that yet.</summary>
    public bool WatchResting => Volatile.Read(ref _watchResting) != 0;

    /// <summary>
    /// The watchdog's first step to rest: marks it resting, then checks under the queue's lock that nothing is queued or
    /// being written. True: resting, and any frame queued from now on wakes it (the connection then re-checks its own
    /// state, which a caller wrote before queueing its frame). False: busy, not resting.
    /// </summary>
    /// <remarks>
    /// Why no frame slips through without a fence on the send path: a frame is queued under the lock and the flag read
    /// after it. If this check takes the lock after the frame's queueing, it sees the frame (or, written already, what the
    /// caller stored before queueing it, such as a pending call); if before, the flag was set before this lock was taken,
    /// so the queueing thread, taking the lock after, reads it set and wakes the watchdog.
    /// </remarks>
    public bool TryRestWatch()
    {
        Volatile.Write(ref _watchResting, 1);
        bool idle;
        lock (_lock) idle = _queuedBytes == 0 && !_writing && !_completed;
        if (idle) return true;
        Interlocked.CompareExchange(ref _watchResting, 0, 1);
        return false;
    }

    /// <summary>Ends the watchdog's rest, if it rests (a frame was queued, or the connection needs watching for another reason).</summary>
    public void WakeWatch()
    {
        if (Volatile.Read(ref _watchResting) != 0 && Interlocked.Exchange(ref _watchResting, 0) != 0) _watchWoken?.Invoke();
    }

    /// <summary>Completes once <see cref="Complete"/> was called and everything queued has been written or dropped.</summary>
    public Task Drained => _drained.Task;

    /// <summary>Bytes queued or being written.</summary>
    public long QueuedBytes => Volatile.Read(ref _queuedBytes);

    private long _borrowedWritesStarted;

    /// <summary>Frames that borrow a caller's memory and have started to leave (tests: a call is now ending mid-write).</summary>
    public long BorrowedWritesStarted => Volatile.Read(ref _borrowedWritesStarted);

    /// <summary>Only the writer calls this, so a plain increment suffices.</summary>
    private bool StartBorrowedWrite(FrameLease borrowed)
    {
        if (!borrowed.TryStartWrite()) return false;
        Volatile.Write(ref _borrowedWritesStarted, _borrowedWritesStarted + 1);
        return true;
    }

    /// <summary>Events dropped by the drop-oldest policy since the connection opened.</summary>
    public long DroppedEvents => Volatile.Read(ref _droppedEvents);

    /// <summary>
    /// Queues a frame (the sender now owns it) and writes it now if no other thread is writing. False, with the
    /// frame released, when the connection no longer sends or the queue bound was exceeded (the connection is
    /// then closed with the reason).
    /// </summary>
    public bool TrySend(OutgoingFrame frame) => Enqueue(frame, isEvent: false, 0, default, writeLater: false);

    /// <summary>
    /// As <see cref="TrySend"/> for a frame of a burst (a stream item whose producer had it ready at once): on a socket,
    /// when no thread is writing, the write is handed to a thread-pool work item instead of being done here, so the frames
    /// this thread queues meanwhile leave with it in one flush (one system call) instead of one each. The frame is not
    /// held back: it is written as soon as that work item runs, whatever this thread does next.
    /// </summary>
    public bool TrySendSoon(OutgoingFrame frame) => Enqueue(frame, isEvent: false, 0, default, writeLater: _handsOffBursts);

    /// <summary>Queues an event frame under the event bound and the given overflow policy.</summary>
    /// <param name="frame">The event frame; the sender now owns it.</param>
    /// <param name="dropKey">Which events DropOldest may drop to make room: those with the same key (its contract, or its
    /// aggregator message type, kept apart by <see cref="DropKey"/>).</param>
    /// <param name="overflow">The bound and the policy.</param>
    /// <remarks>An event is written as a <see cref="TrySendSoon"/> frame: events published back to back over a socket
    /// otherwise cost a send each on tcp://, whose roomy buffer never makes a write wait, so nothing ever queued behind
    /// one (1.00 send per event, against 0.01 on pipe://, whose smaller buffer fills; `counts --only events`).</remarks>
    public bool TrySendEvent(OutgoingFrame frame, ulong dropKey, in EventOverflow overflow) => Enqueue(frame, isEvent: true, dropKey, overflow, writeLater: _handsOffBursts);

    /// <summary>The DropOldest key of an event: contract IDs and aggregator message type IDs never collide.</summary>
    public static ulong DropKey(bool bus, uint id) => bus ? (1UL << 32) | id : id;

    private bool Enqueue(OutgoingFrame frame, bool isEvent, ulong dropKey, in EventOverflow overflow, bool writeLater)
    {
        Exception? overflowFault = null;
        bool write;
        var length = frame.Length; // the frame may be copied into a block and released below
        lock (_lock)
        {
            if (_completed)
            {
                frame.Release();
                return false;
            }
            if (isEvent && _queuedEventBytes > 0 && _queuedEventBytes + frame.Length > overflow.MaxQueuedBytes)
            {
                overflowFault = MakeRoomForEvent(frame, dropKey, overflow);
                if (overflowFault is null && _completed) overflowFault = new ChannelFaultedException($"The connection to {_peer()} closed while an event waited for queue space.", DisconnectReason.ClosedLocally);
            }
            if (overflowFault is null && _queuedBytes > 0 && _queuedBytes + frame.Length > _options.MaxSendQueueBytes)
            {
                overflowFault = new ChannelFaultedException(
                    $"The peer {_peer()} is not reading: more than {_options.MaxSendQueueBytes} bytes waited to be sent (IpcOptions.MaxSendQueueBytes), so the connection was closed.", DisconnectReason.Stalled);
            }
            if (overflowFault is not null)
            {
                frame.Release();
                if (overflowFault is OperationCanceledException) return false; // dropped the newest by policy: the connection lives on
                // The connection closes for this, but the fault runs later on the pool: take no frame from now on, or
                // frames after the one just refused (the next events of a subscriber) would still reach the peer
                // before the close, a gap it could not see. What is already queued still goes out, as on Complete.
                // Bytes are queued, so a writer is active and completes Drained when it has written them.
                _completed = true;
                if (_waiters > 0) Monitor.PulseAll(_lock);
            }
            else
            {
                _queuedBytes += frame.Length;
                if (isEvent) _queuedEventBytes += frame.Length;
                write = !_writing;
                if (writeLater) writeLater = WriteLater(write);
                if (write && _head == _tail && !writeLater)
                {
                    // Nobody writes and nothing waits: this thread takes the writer role and the frame becomes its
                    // batch directly (the latency path: one lock here, one when the writer gives the role up).
                    _batch[0] = new Entry(frame, isEvent, dropKey);
                    _next = 0;
                    _count = 1;
                }
                else if (!TryCoalesce(frame, isEvent, mergeable: !isEvent || overflow.Policy != EventOverflowPolicy.DropOldest))
                {
                    if (_tail - _head == _entries.Length) Grow();
                    _entries[_tail & (_entries.Length - 1)] = new Entry(frame, isEvent, dropKey,
                        Mergeable: frame.Length <= CoalesceMaxFrame && (!isEvent || overflow.Policy != EventOverflowPolicy.DropOldest));
                    _tail++;
                }
                _writing = true;
                goto Queued;
            }
        }
        // Closing runs failed calls' continuations: never under the caller's locks.
        ThreadPool.UnsafeQueueUserWorkItem(static s => s.Fault(s.Reason), (Fault: _fault, Reason: overflowFault), preferLocal: false);
        return false;

    Queued:
        IpcTelemetry.BytesSent(length);
        // One load per frame: the watchdog rests only on a connection with nothing to watch (TryRestWatch).
        if (Volatile.Read(ref _watchResting) != 0) WakeWatch();
        if (!write) return true;
        // A later write is a work item on the global queue, so another thread takes it while this one goes on queueing.
        if (writeLater) ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
        else Drain();
        return true;
    }

    // Writes handed on in a row (TrySendSoon finding no writer) that no other frame joined before they ran; 0 once one did.
    private int _laterAlone;

    /// <summary>
    /// Under the lock, for a <see cref="TrySendSoon"/> frame: whether to hand its write on. Handing on pays when frames
    /// join the write before it runs; a producer slower than the hand-off (each frame finds the writer gone again) would
    /// pay a work item per frame for nothing, so after two hand-offs that nothing joined the frames are written here again,
    /// with a hand-off tried every eighth frame in case the producer speeds up (or one joining a busy writer resets it).
    /// </summary>
    private bool WriteLater(bool idle)
    {
        if (!idle)
        {
            _laterAlone = 0; // queued behind a write: frames are batching
            return true;
        }
        if (++_laterAlone <= 2) return true;
        if (_laterAlone < 10) return false;
        _laterAlone = 2;
        return true;
    }

    /// <summary>The write <see cref="TrySendSoon"/> handed on: this thread holds the writer role from here.</summary>
    void IThreadPoolWorkItem.Execute() => Drain();

    /// <summary>
    /// Events the writer takes from the queue per batch, at most (plus the one that crosses it). What the writer took can
    /// no longer be dropped under DropOldest: a writer that took the whole queue (a handed-on write starting behind a
    /// burst, or a write resuming after a slow peer) left nothing older to drop, so every newer event was dropped
    /// instead, the newest included, while the taken batch waited for the peer. Other frames (stream chunks) are not
    /// limited, so the large ones still leave in one gathered send. 16 KiB is still a few hundred small events per
    /// flush (one system call on a socket).
    /// </summary>
    private const int MaxEventBytesPerBatch = 16 * 1024;

    /// <summary>Frames up to this size that queue behind others are copied into a shared block (<see cref="TryCoalesce"/>).</summary>
    private const int CoalesceMaxFrame = 4 * 1024;

    /// <summary>
    /// Under the lock, for a frame that has to queue: when the newest queued entry is small too, both go into one
    /// pooled block (or the frame is appended to the block already there) and their own buffers go back to the pool at
    /// once. A flood of small frames queued behind a slow peer then holds one 64 KiB block per few hundred frames
    /// instead of a pooled buffer each, which the pool could not supply (it keeps only a few per size). Bytes and
    /// order on the wire are the same. Events under DropOldest are never merged: they stay droppable one by one.
    /// </summary>
    private bool TryCoalesce(OutgoingFrame frame, bool isEvent, bool mergeable)
    {
        if (!mergeable || frame.Length > CoalesceMaxFrame || _tail == _head) return false;
        ref var last = ref _entries[(_tail - 1) & (_entries.Length - 1)];
        if (!last.Mergeable || last.IsEvent != isEvent || last.Frame is not { } tail) return false;
        if (last.IsBlock)
        {
            if (!tail.TryAppend(frame.Memory.Span)) return false;
        }
        else
        {
            var block = OutgoingFrame.Block();
            block.TryAppend(tail.Memory.Span);
            block.TryAppend(frame.Memory.Span);
            tail.Release();
            // A block may hold events of several contracts (none under DropOldest): no drop key matches it.
            last = new Entry(block, isEvent, ulong.MaxValue, Mergeable: true, IsBlock: true);
        }
        frame.Release();
        return true;
    }

    /// <summary>
    /// Runs under the lock when an event does not fit. Returns null when the event may be queued, an
    /// <see cref="OperationCanceledException"/> when the policy drops it, or the reason to close the connection.
    /// </summary>
    private Exception? MakeRoomForEvent(OutgoingFrame frame, ulong dropKey, in EventOverflow overflow)
    {
        switch (overflow.Policy)
        {
            case EventOverflowPolicy.DropOldest:
                // Oldest queued events of the same contract go first; the writer has not taken them yet.
                for (var seq = _head; seq < _tail && _queuedEventBytes > 0 && _queuedEventBytes + frame.Length > overflow.MaxQueuedBytes; seq++)
                {
                    ref var entry = ref _entries[seq & (_entries.Length - 1)];
                    if (entry.Frame is null || !entry.IsEvent || entry.DropKey != dropKey) continue;
                    _queuedBytes -= entry.Frame.Length;
                    _queuedEventBytes -= entry.Frame.Length;
                    entry.Frame.Release();
                    entry = default; // a hole the writer skips
                    _droppedEvents++;
                }
                if (_queuedEventBytes > 0 && _queuedEventBytes + frame.Length > overflow.MaxQueuedBytes)
                {
                    _droppedEvents++; // nothing older of this contract left to drop: the new one goes
                    return new OperationCanceledException();
                }
                return null;
            case EventOverflowPolicy.Wait:
                var deadline = Environment.TickCount64 + (long)overflow.WaitTimeout.TotalMilliseconds;
                _waiters++;
                try
                {
                    while (!_completed && _queuedEventBytes > 0 && _queuedEventBytes + frame.Length > overflow.MaxQueuedBytes)
                    {
                        var left = deadline - Environment.TickCount64;
                        if (left <= 0)
                            return new ChannelFaultedException(
                                $"The subscriber {_peer()} did not take its events within {overflow.WaitTimeout.TotalSeconds:0.###} s while {_queuedEventBytes} bytes of events were queued (EventOverflowPolicy.Wait), so the connection was closed.", DisconnectReason.Stalled);
                        Monitor.Wait(_lock, (int)Math.Min(left, int.MaxValue));
                    }
                }
                finally
                {
                    _waiters--;
                }
                return null;
            default:
                return new ChannelFaultedException(
                    $"The subscriber {_peer()} is not keeping up: more than {overflow.MaxQueuedBytes} bytes of events waited to be sent (EventDeliveryOptions.MaxQueuedBytes, policy Disconnect), so the connection was closed.", DisconnectReason.Stalled);
        }
    }

    private void Grow()
    {
        var bigger = new Entry[_entries.Length * 2];
        for (var seq = _head; seq < _tail; seq++) bigger[seq & (bigger.Length - 1)] = _entries[seq & (_entries.Length - 1)];
        _entries = bigger;
    }

    /// <summary>No more frames are accepted; those queued are still written (Goodbye, a last Error).</summary>
    public void Complete()
    {
        bool write;
        lock (_lock)
        {
            if (_completed) return;
            _completed = true;
            if (_waiters > 0) Monitor.PulseAll(_lock);
            write = !_writing;
            _writing = true;
        }
        if (write) Drain();
    }

    /// <summary>
    /// Called by the connection's timer: a transport write pending longer than the stall timeout means the
    /// peer stopped reading (suspended, in a debugger, wedged); close the connection with that reason.
    /// </summary>
    public void CheckStall(long nowTicks)
    {
        var since = Volatile.Read(ref _pendingSinceTicks);
        if (since == 0 || _options.SendStallTimeout == Timeout.InfiniteTimeSpan) return;
        if (nowTicks - since < (long)_options.SendStallTimeout.TotalMilliseconds) return;
        _fault(new ChannelFaultedException(
            $"The peer {_peer()} stopped reading: a write waited more than {_options.SendStallTimeout.TotalSeconds:0.###} s (IpcOptions.SendStallTimeout) with {QueuedBytes} bytes queued, so the connection was closed.", DisconnectReason.Stalled));
    }

    // The writer's state: only the thread holding the writer role touches it. _batch[_next.._count) are frames taken
    // from the queue and not yet written; _batchBytes/_batchEventBytes count the taken ones, still in _queuedBytes
    // until the transport has them; _inFlight is a large frame whose asynchronous write has not finished.
    private int _next;
    private int _count;
    private long _batchBytes;
    private long _batchEventBytes;
    private bool _unflushed;
    private OutgoingFrame? _inFlight;
    private readonly List<OutgoingFrame> _gathered = [];              // large frames of a gathered send not yet finished
    private readonly List<ReadOnlyMemory<byte>> _gatheredMemory = [];

    /// <summary>Frames above this size are written from their own buffer (no copy into the transport's buffer).</summary>
    private const int LargeFrame = 64 * 1024;

    /// <summary>At most this many frames per gathered send (well under the 1024 iovecs a sendmsg takes).</summary>
    private const int MaxGathered = 64;

    /// <summary>A frame's buffers for a gathered send: itself, or for a borrowing frame its head, the caller's bytes and its trailer.</summary>
    private void AddBuffers(OutgoingFrame frame)
    {
        if (frame.Borrowed is null)
        {
            _gatheredMemory.Add(frame.Memory);
            return;
        }
        _gatheredMemory.Add(frame.Head);
        _gatheredMemory.Add(frame.Body);
        if (frame.Trailer.Length > 0) _gatheredMemory.Add(frame.Trailer);
    }

    /// <summary>
    /// The last 4 bytes of a borrowing frame written without a gathered send, once its body is in: buffered like a small
    /// frame and flushed with the batch. Nothing else was written in between (one writer), so the frame is whole on the wire.
    /// </summary>
    private void WriteTrailer(OutgoingFrame frame)
    {
        if (frame.Trailer.Length == 0) return; // a StreamItem chunk ends with the caller's bytes
        _output.Write(frame.Trailer.Span);
        _unflushed = true;
    }

    /// <summary>The gathered send finished (or failed): its frames go back.</summary>
    private void ReleaseGathered()
    {
        foreach (var frame in _gathered) frame.Release();
        _gathered.Clear();
        _gatheredMemory.Clear();
    }
    private ConfiguredValueTaskAwaitable<FlushResult>.ConfiguredValueTaskAwaiter _pendingAwaiter;
    private readonly Action _onPendingDone;

    /// <summary>
    /// Runs with _writing == true, on one thread at a time: writes the batch, then under the lock accounts for it and
    /// takes everything queued meanwhile as the next batch, or gives up the writer role when nothing is left (the
    /// same lock makes "nothing left" and "a frame was just queued" exclusive, so no frame is stranded). Frame order
    /// is queue order; one flush per batch.
    /// </summary>
    private void Drain()
    {
        try
        {
            while (true)
            {
                if (!WriteBatch(out var pending))
                {
                    AwaitPending(pending);
                    return;
                }
                lock (_lock)
                {
                    _queuedBytes -= _batchBytes;
                    _queuedEventBytes -= _batchEventBytes;
                    _batchBytes = _batchEventBytes = 0;
                    if (_waiters > 0) Monitor.PulseAll(_lock);
                    var count = (int)(_tail - _head);
                    if (count == 0)
                    {
                        _writing = false;
                        if (_completed) _drained.TrySetResult();
                        return;
                    }
                    if (_batch.Length < count) _batch = new Entry[Math.Max(count, _batch.Length * 2)];
                    var taken = 0;
                    long takenEventBytes = 0;
                    while (taken < count && takenEventBytes < MaxEventBytesPerBatch)
                    {
                        ref var slot = ref _entries[(_head + taken) & (_entries.Length - 1)];
                        if (slot.IsEvent && slot.Frame is { } queuedEvent) takenEventBytes += queuedEvent.Length;
                        _batch[taken++] = slot;
                        slot = default;
                    }
                    _head += taken;
                    _next = 0;
                    _count = taken;
                }
            }
        }
        catch (Exception e)
        {
            OnFailed(e);
        }
    }

    /// <summary>
    /// Writes the rest of the batch and flushes it. False, with the transport's pending task, when a write or the
    /// flush could not finish now: <see cref="AwaitPending"/> waits for it and calls <see cref="Drain"/> again,
    /// which goes on where this stopped.
    /// </summary>
    private bool WriteBatch(out ValueTask<FlushResult> pending)
    {
        while (_next < _count)
        {
            var entry = _batch[_next];
            _batch[_next++] = default;
            if (entry.Frame is not { } frame) continue; // dropped by policy
            _batchBytes += frame.Length;
            if (entry.IsEvent) _batchEventBytes += frame.Length;
            if (_broken)
            {
                frame.Release();
                continue;
            }
            if (frame.Length > LargeFrame || frame.Borrowed is not null)
            {
                if (frame.Borrowed is { } borrowed && !StartBorrowedWrite(borrowed))
                {
                    // Its call ended (cancelled, timed out, failed) before a byte of it left, and the caller may already
                    // be writing into that memory: the Request is dropped unsent (docs/semantics.md, "The caller's buffer").
                    frame.Release();
                    continue;
                }
                if (_output is Transports.IGatheringWriter gathering
                    && (frame.Borrowed is not null || (_next < _count && _batch[_next].Frame is { Length: > LargeFrame })))
                {
                    // This large frame and the large frames queued right behind it (stream chunks, typically) leave in
                    // one gathered send: one system call and one wake-up of the reader instead of one per frame. A frame
                    // that borrows the caller's memory always goes this way (its head, the caller's bytes and its
                    // trailer as three buffers, nothing copied); any other large frame on its own takes the plain write below.
                    _gathered.Add(frame);
                    AddBuffers(frame);
                    while (_next < _count && _gathered.Count < MaxGathered && !_broken && _batch[_next].Frame is { Length: > LargeFrame } next)
                    {
                        var taken = _batch[_next];
                        _batch[_next++] = default;
                        _batchBytes += next.Length;
                        if (taken.IsEvent) _batchEventBytes += next.Length;
                        if (next.Borrowed is { } nextBorrowed && !StartBorrowedWrite(nextBorrowed))
                        {
                            next.Release(); // abandoned, as above
                            continue;
                        }
                        _gathered.Add(next);
                        AddBuffers(next);
                    }
                    var gathered = gathering.WriteGatheredAsync(_gatheredMemory);
                    if (!gathered.IsCompletedSuccessfully)
                    {
                        pending = gathered;
                        return false;
                    }
                    ReleaseGathered();
                    if (gathered.Result.IsCompleted) _broken = true;
                    continue;
                }
                if (frame.Borrowed is not null)
                {
                    // No gathered send (shm, in-process, a Windows pipe): the head is small and goes into the writer's
                    // buffer, the caller's bytes go straight from its memory into the transport (shm: into the ring), and
                    // the trailer follows them once that write has returned (WriteTrailer).
                    _inFlight = frame; // owned here if a write throws
                    _output.Write(frame.Head.Span);
                    var direct = _output.WriteAsync(frame.Body);
                    if (!direct.IsCompletedSuccessfully)
                    {
                        pending = direct;
                        return false;
                    }
                    if (direct.Result.IsCompleted) _broken = true;
                    else WriteTrailer(frame);
                    _inFlight = null;
                    frame.Release();
                    continue;
                }
                // Large frames go from our buffer to the transport without a copy into the pipe's buffer.
                _inFlight = frame;
                var write = _output.WriteAsync(frame.Memory);
                if (!write.IsCompletedSuccessfully)
                {
                    pending = write;
                    return false;
                }
                _inFlight = null;
                frame.Release();
                if (write.Result.IsCompleted) _broken = true;
                continue;
            }
            _inFlight = frame; // released below; owned here if Write throws
            _output.Write(frame.Memory.Span);
            _inFlight = null;
            frame.Release();
            _unflushed = true;
        }
        if (_unflushed && !_broken && (!_output.CanGetUnflushedBytes || _output.UnflushedBytes > 0))
        {
            _unflushed = false;
            var flush = _output.FlushAsync();
            if (!flush.IsCompletedSuccessfully)
            {
                pending = flush;
                return false;
            }
            if (flush.Result.IsCompleted) _broken = true;
        }
        _unflushed = false;
        pending = default;
        return true;
    }

    /// <summary>
    /// The transport could not take the bytes now: the rest of the drain continues when it has, off every caller's
    /// thread. One cached callback and a stored awaiter instead of an async method: a hand-off allocates nothing here.
    /// </summary>
    private void AwaitPending(ValueTask<FlushResult> pending)
    {
        Volatile.Write(ref _pendingSinceTicks, Environment.TickCount64);
        _pendingAwaiter = pending.ConfigureAwait(false).GetAwaiter();
        _pendingAwaiter.UnsafeOnCompleted(_onPendingDone);
    }

    private void OnPendingDone()
    {
        Volatile.Write(ref _pendingSinceTicks, 0);
        var awaiter = _pendingAwaiter;
        _pendingAwaiter = default;
        var written = _inFlight;
        try
        {
            // Completed: the peer's end is gone. Canceled: the transport was disposed under the pending write (the
            // in-process transport ends a pending flush that way). Either way nothing more can be written.
            var result = awaiter.GetResult();
            if (result.IsCompleted || result.IsCanceled) _broken = true;
            if (written?.Borrowed is not null && !_broken) WriteTrailer(written);
        }
        catch (Exception e)
        {
            OnFailed(e);
            return;
        }
        _inFlight = null;
        written?.Release();
        ReleaseGathered();
        Drain();
    }

    /// <summary>The transport threw: release every frame the writer and the queue still own, once, and close the connection.</summary>
    private void OnFailed(Exception e)
    {
        Volatile.Write(ref _pendingSinceTicks, 0);
        var owned = _inFlight;
        _inFlight = null;
        owned?.Release();
        ReleaseGathered();
        for (var i = _next; i < _count; i++)
        {
            _batch[i].Frame?.Release();
            _batch[i] = default;
        }
        _next = _count = 0;
        _batchBytes = _batchEventBytes = 0;
        lock (_lock)
        {
            _broken = true;
            _completed = true;
            for (var seq = _head; seq < _tail; seq++)
            {
                ref var entry = ref _entries[seq & (_entries.Length - 1)];
                entry.Frame?.Release();
                entry = default;
            }
            _head = _tail;
            _queuedBytes = 0;
            _queuedEventBytes = 0;
            _writing = false;
            if (_waiters > 0) Monitor.PulseAll(_lock);
        }
        _drained.TrySetResult();
        var reason = new ChannelFaultedException($"Sending to {_peer()} failed: {e.Message}", DisconnectReason.PeerLost, e);
        ThreadPool.UnsafeQueueUserWorkItem(static s => s.Fault(s.Reason), (Fault: _fault, Reason: (Exception)reason), preferLocal: false);
    }

    // Mergeable: may be coalesced with the next small frame (small, and not an event under DropOldest).
    // IsBlock: a block of coalesced frames owned by this sender, still open for appends while it is queued.
    private readonly record struct Entry(OutgoingFrame? Frame, bool IsEvent, ulong DropKey, bool Mergeable = false, bool IsBlock = false);
}

/// <summary>The bound and policy that apply to one event on its way to one subscriber.</summary>
internal readonly record struct EventOverflow(EventOverflowPolicy Policy, long MaxQueuedBytes, TimeSpan WaitTimeout);
