using System.Buffers;
using System.IO.Pipelines;
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
/// <see cref="EventOverflowPolicy"/>. A write that makes no progress for <see cref="IpcOptions.SendStallTimeout"/>
/// closes the connection too (a stopped peer), so nothing waits forever.</para>
/// <para>The queue is a lock-protected ring of entries: the lock makes "queue empty, give up the writer role"
/// atomic with "frame queued, take the writer role", so a frame can never be stranded, and lets the drop-oldest
/// policy remove an event that the writer has not taken yet.</para>
/// </remarks>
internal sealed class FrameSender
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

    public FrameSender(PipeWriter output, IpcOptions options, Action<Exception> fault, Func<string> peerDescription)
    {
        _output = output;
        _options = options;
        _fault = fault;
        _peer = peerDescription;
    }

    /// <summary>Completes once <see cref="Complete"/> was called and everything queued has been written or dropped.</summary>
    public Task Drained => _drained.Task;

    /// <summary>Bytes queued or being written.</summary>
    public long QueuedBytes => Volatile.Read(ref _queuedBytes);

    /// <summary>Events dropped by the drop-oldest policy since the connection opened.</summary>
    public long DroppedEvents => Volatile.Read(ref _droppedEvents);

    /// <summary>
    /// Queues a frame (the sender now owns it) and writes it now if no other thread is writing. False, with the
    /// frame released, when the connection no longer sends or the queue bound was exceeded (the connection is
    /// then closed with the reason).
    /// </summary>
    public bool TrySend(OutgoingFrame frame) => Enqueue(frame, isEvent: false, 0, default);

    /// <summary>Queues an event frame under the event bound and the given overflow policy.</summary>
    public bool TrySendEvent(OutgoingFrame frame, uint contractId, in EventOverflow overflow) => Enqueue(frame, isEvent: true, contractId, overflow);

    private bool Enqueue(OutgoingFrame frame, bool isEvent, uint contractId, in EventOverflow overflow)
    {
        Exception? overflowFault = null;
        bool write;
        lock (_lock)
        {
            if (_completed)
            {
                frame.Release();
                return false;
            }
            if (isEvent && _queuedEventBytes > 0 && _queuedEventBytes + frame.Length > overflow.MaxQueuedBytes)
            {
                overflowFault = MakeRoomForEvent(frame, contractId, overflow);
                if (overflowFault is null && _completed) overflowFault = new ChannelFaultedException($"The connection to {_peer()} closed while an event waited for queue space.");
            }
            if (overflowFault is null && _queuedBytes > 0 && _queuedBytes + frame.Length > _options.MaxSendQueueBytes)
            {
                overflowFault = new ChannelFaultedException(
                    $"The peer {_peer()} is not reading: more than {_options.MaxSendQueueBytes} bytes waited to be sent (IpcOptions.MaxSendQueueBytes), so the connection was closed.");
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
                if (_tail - _head == _entries.Length) Grow();
                _entries[_tail & (_entries.Length - 1)] = new Entry(frame, isEvent, contractId);
                _tail++;
                _queuedBytes += frame.Length;
                if (isEvent) _queuedEventBytes += frame.Length;
                write = !_writing;
                _writing = true;
                goto Queued;
            }
        }
        // Closing runs failed calls' continuations: never under the caller's locks.
        ThreadPool.UnsafeQueueUserWorkItem(static s => s.Fault(s.Reason), (Fault: _fault, Reason: overflowFault), preferLocal: false);
        return false;

    Queued:
        IpcTelemetry.BytesSent(frame.Length);
        if (write) Drain();
        return true;
    }

    /// <summary>
    /// Runs under the lock when an event does not fit. Returns null when the event may be queued, an
    /// <see cref="OperationCanceledException"/> when the policy drops it, or the reason to close the connection.
    /// </summary>
    private Exception? MakeRoomForEvent(OutgoingFrame frame, uint contractId, in EventOverflow overflow)
    {
        switch (overflow.Policy)
        {
            case EventOverflowPolicy.DropOldest:
                // Oldest queued events of the same contract go first; the writer has not taken them yet.
                for (var seq = _head; seq < _tail && _queuedEventBytes > 0 && _queuedEventBytes + frame.Length > overflow.MaxQueuedBytes; seq++)
                {
                    ref var entry = ref _entries[seq & (_entries.Length - 1)];
                    if (entry.Frame is null || !entry.IsEvent || entry.ContractId != contractId) continue;
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
                                $"The subscriber {_peer()} did not take its events within {overflow.WaitTimeout.TotalSeconds:0.###} s while {_queuedEventBytes} bytes of events were queued (EventOverflowPolicy.Wait), so the connection was closed.");
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
                    $"The subscriber {_peer()} is not keeping up: more than {overflow.MaxQueuedBytes} bytes of events waited to be sent (EventDeliveryOptions.MaxQueuedBytes, policy Disconnect), so the connection was closed.");
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
            $"The peer {_peer()} stopped reading: a write waited more than {_options.SendStallTimeout.TotalSeconds:0.###} s (IpcOptions.SendStallTimeout) with {QueuedBytes} bytes queued, so the connection was closed."));
    }

    // Runs with _writing == true, on one thread at a time. Takes everything queued in one batch under the lock,
    // writes it outside the lock, flushes once per batch; frame order is queue order.
    private void Drain()
    {
        // What this method still owns if the transport throws: `current` (out of the batch, not yet released) and
        // the batch's frames from `next` to `count`. A frame is released exactly once, here or where it was written.
        OutgoingFrame? current = null;
        int next = 0, count = 0;
        try
        {
            while (true)
            {
                long batchBytes = 0, batchEventBytes = 0;
                lock (_lock)
                {
                    count = (int)(_tail - _head);
                    next = 0;
                    if (count == 0)
                    {
                        _writing = false;
                        if (_completed) _drained.TrySetResult();
                        return;
                    }
                    if (_batch.Length < count) _batch = new Entry[Math.Max(count, _batch.Length * 2)];
                    for (var i = 0; i < count; i++)
                    {
                        ref var slot = ref _entries[(_head + i) & (_entries.Length - 1)];
                        _batch[i] = slot;
                        slot = default;
                    }
                    _head = _tail;
                }
                for (var i = 0; i < count; i++)
                {
                    var entry = _batch[i];
                    _batch[i] = default;
                    next = i + 1;
                    if (entry.Frame is not { } frame) continue; // dropped by policy
                    batchBytes += frame.Length;
                    if (entry.IsEvent) batchEventBytes += frame.Length;
                    if (_broken)
                    {
                        frame.Release();
                        continue;
                    }
                    current = frame;
                    if (frame.Length > 64 * 1024)
                    {
                        // Large frames go from our buffer to the transport without a copy into the pipe's buffer.
                        var write = _output.WriteAsync(frame.Memory);
                        if (!write.IsCompletedSuccessfully)
                        {
                            // The continuation owns the frame and the rest of the batch from here on.
                            current = null;
                            next = count;
                            _ = ContinueAsync(write, frame, _batch, i + 1, count, batchBytes, batchEventBytes);
                            return;
                        }
                        current = null;
                        frame.Release();
                        if (write.Result.IsCompleted) _broken = true;
                        continue;
                    }
                    _output.Write(frame.Memory.Span);
                    current = null;
                    frame.Release();
                }
                if (!Flush(batchBytes, batchEventBytes)) return;
            }
        }
        catch (Exception e)
        {
            current?.Release();
            ReleaseRest(_batch, next, count);
            OnFailed(e);
        }
    }

    private static void ReleaseRest(Entry[] batch, int next, int count)
    {
        for (var i = next; i < count; i++)
        {
            batch[i].Frame?.Release();
            batch[i] = default;
        }
    }

    /// <summary>Flushes the batch; false when the flush went asynchronous (its continuation drains on).</summary>
    private bool Flush(long batchBytes, long batchEventBytes)
    {
        if (!_broken && (!_output.CanGetUnflushedBytes || _output.UnflushedBytes > 0))
        {
            var flush = _output.FlushAsync();
            if (!flush.IsCompletedSuccessfully)
            {
                _ = ContinueAsync(flush, null, [], 0, 0, batchBytes, batchEventBytes);
                return false;
            }
            if (flush.Result.IsCompleted) _broken = true;
        }
        Written(batchBytes, batchEventBytes);
        return true;
    }

    private void Written(long bytes, long eventBytes)
    {
        lock (_lock)
        {
            _queuedBytes -= bytes;
            _queuedEventBytes -= eventBytes;
            if (_waiters > 0) Monitor.PulseAll(_lock);
        }
    }

    /// <summary>The transport could not take the bytes now: wait for it off every caller's thread, then drain on.</summary>
    private async Task ContinueAsync(ValueTask<FlushResult> pending, OutgoingFrame? frame, Entry[] batch, int next, int count,
        long batchBytes, long batchEventBytes)
    {
        Volatile.Write(ref _pendingSinceTicks, Environment.TickCount64);
        // `frame` is the frame this method still has to release (null once released); `next` the first batch entry it
        // has not taken yet. On an exception both are released, nothing twice.
        try
        {
            var result = await pending.ConfigureAwait(false);
            if (result.IsCompleted) _broken = true;
            Volatile.Write(ref _pendingSinceTicks, 0);
            var written = frame;
            frame = null;
            written?.Release();
            // The rest of the interrupted batch, in order. Every wait inside goes asynchronous the same way.
            for (var i = next; i < count; i++)
            {
                var entry = batch[i];
                batch[i] = default;
                next = i + 1;
                if (entry.Frame is not { } f) continue;
                batchBytes += f.Length;
                if (entry.IsEvent) batchEventBytes += f.Length;
                if (_broken)
                {
                    f.Release();
                    continue;
                }
                frame = f;
                if (f.Length > 64 * 1024)
                {
                    var write = _output.WriteAsync(f.Memory);
                    if (!write.IsCompleted) Volatile.Write(ref _pendingSinceTicks, Environment.TickCount64);
                    try
                    {
                        if ((await write.ConfigureAwait(false)).IsCompleted) _broken = true;
                    }
                    finally
                    {
                        Volatile.Write(ref _pendingSinceTicks, 0);
                        frame = null;
                        f.Release();
                    }
                    continue;
                }
                _output.Write(f.Memory.Span);
                frame = null;
                f.Release();
            }
            if (!_broken && (!_output.CanGetUnflushedBytes || _output.UnflushedBytes > 0))
            {
                var flush = _output.FlushAsync();
                if (!flush.IsCompleted) Volatile.Write(ref _pendingSinceTicks, Environment.TickCount64);
                if ((await flush.ConfigureAwait(false)).IsCompleted) _broken = true;
                Volatile.Write(ref _pendingSinceTicks, 0);
            }
        }
        catch (Exception e)
        {
            frame?.Release();
            ReleaseRest(batch, next, count);
            OnFailed(e);
            return;
        }
        Written(batchBytes, batchEventBytes);
        Drain();
    }

    private void OnFailed(Exception e)
    {
        Volatile.Write(ref _pendingSinceTicks, 0);
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
        var reason = new ChannelFaultedException($"Sending to {_peer()} failed: {e.Message}", e);
        ThreadPool.UnsafeQueueUserWorkItem(static s => s.Fault(s.Reason), (Fault: _fault, Reason: (Exception)reason), preferLocal: false);
    }

    private readonly record struct Entry(OutgoingFrame? Frame, bool IsEvent, uint ContractId);
}

/// <summary>The bound and policy that apply to one event on its way to one subscriber.</summary>
internal readonly record struct EventOverflow(EventOverflowPolicy Policy, long MaxQueuedBytes, TimeSpan WaitTimeout);
