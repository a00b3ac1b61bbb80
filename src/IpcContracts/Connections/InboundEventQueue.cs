using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics;
using System.Threading.Tasks.Sources;
using IpcContracts.Diagnostics;
using IpcContracts.Protocol;

namespace IpcContracts.Connections;

/// <summary>
/// Event delivery of one connection: events the reader hands over are delivered to this process's subscribers
/// in order, each subscriber's asynchronous part finishing before the next subscriber (or the next event) starts.
/// </summary>
/// <remarks>
/// <para>The reader never waits for a subscriber. On socket transports every event is copied out of the pipe
/// into a pooled buffer and queued for the event loop. On transports with <see cref="Transports.TransportFeatures.BlockingReads"/>
/// (shared memory), when nothing is queued, subscribers run on the reader thread straight from the pipe (no copy,
/// no hop); the first one that does not finish synchronously turns the rest of that event into a queued
/// continuation, so later subscribers and later events wait behind it.</para>
/// <para>The queue is bounded (<see cref="EventDeliveryOptions.MaxQueuedBytes"/>); past the bound the event's
/// contract policy applies: close the connection, drop the oldest queued events of that contract, or pause reading
/// (back-pressure to the peer, whose own bounds then apply) for at most <see cref="EventDeliveryOptions.WaitTimeout"/>.</para>
/// </remarks>
internal sealed class InboundEventQueue : IValueTaskSource
{
    private readonly IpcConnection _connection;
    private readonly LocalHandlers _local;
    private readonly EventDeliveryOptions _options;
    private readonly bool _acknowledges; // the transport wants each tagged event back once done (TransportFeatures.EventAcknowledgements)
    private readonly object _lock = new();
    private Item[] _items = new Item[64];
    private long _head;
    private long _tail;
    private long _bytes;
    private int _busy; // items queued or being delivered: inline delivery only when 0
    private bool _completed;
    // The event loop waits for an item through this one reusable source (a TaskCompletionSource per wait allocated about
    // 100 B each time the loop caught up, once per run of events); its continuation is queued, never run by the reader.
    private ManualResetValueTaskSourceCore<bool> _itemQueued = new() { RunContinuationsAsynchronously = true };
    private bool _loopWaiting;
    private TaskCompletionSource? _roomMade;     // the reader waits for room (Wait policy)
    private long _dropped;

    public InboundEventQueue(IpcConnection connection, LocalHandlers local)
    {
        _connection = connection;
        _local = local;
        _options = local.Options.Events;
        _acknowledges = connection.AcknowledgesEvents;
    }

    /// <summary>Events dropped by the drop-oldest policy on this connection.</summary>
    public long Dropped => Volatile.Read(ref _dropped);

    /// <summary>Bytes of events waiting for subscribers.</summary>
    public long QueuedBytes
    {
        get { lock (_lock) return _bytes; }
    }

    /// <summary>
    /// Takes one event from the reader. Returns true when the reader should pause (<see cref="WaitForRoomAsync"/>)
    /// before reading more: the queue is over its bound under the Wait policy.
    /// </summary>
    public bool OnEvent(in FrameHeader header, in ReadOnlySequence<byte> payload, bool inlineAllowed)
    {
        var bus = (header.Flags & FrameFlags.Bus) != 0;
        var key = new SubscriptionKey(bus, bus ? header.MethodId : header.ContractId);
        var tag = _acknowledges ? header.CorrelationId : 0;
        var subscribers = _local.GetSubscribers(key);
        if (subscribers.Length == 0)
        {
            Handled(tag);
            return false;
        }
        var body = payload;
        var parent = default(ActivityContext);
        if ((header.Flags & FrameFlags.TraceContext) != 0 && !IpcTelemetry.TryStripTraceContext(_connection, header, ref body, out parent, out var prefixError))
        {
            Report(new IpcProtocolException(ProtocolError.BadPayload,
                $"An event from {_connection.PeerDescription} was dropped: {prefixError}."));
            Handled(tag);
            return false;
        }
        var binary = (header.Flags & FrameFlags.Binary) != 0;
        if (binary && !BinarySection.TrySplit(header.Flags, body, out _, out _, out var binaryError))
        {
            Report(new IpcProtocolException(ProtocolError.BadPayload,
                $"An event from {_connection.PeerDescription} was dropped: bad binary section: {binaryError}."));
            Handled(tag);
            return false;
        }
        if (inlineAllowed && Volatile.Read(ref _busy) == 0)
            return DeliverInline(subscribers, key, header.MethodId, body, binary, parent, tag);
        // Queued: the subscribers are read again when it is delivered (one may have subscribed or left meanwhile).
        if (parent == default && body.Length <= SmallEvent) return EnqueueRecord(key, header.MethodId, body, binary, tag);
        var block = Copy(body, out var offset, out var length);
        return Enqueue(new Item(key, header.MethodId, block, offset, length, tag, parent == default ? null : new ItemExtras(parent, null, 0, null, default), Binary: binary));
    }

    /// <summary>
    /// Bytes in front of a queued small event's payload in its block: what the event loop needs to deliver it (payload
    /// length, method, subscription key, flags, delivery tag), so a backlog of small events is its blocks alone and costs
    /// no queue entry per event (<see cref="Item.Run"/>). Layout: i32 length, u32 method, u32 key ID, u8 flags, 3 unused,
    /// u64 tag, little-endian (written and read by this process only, never sent).
    /// </summary>
    private const int RecordHeader = 24;

    private const byte RecordBus = 1, RecordBinary = 2, RecordDropped = 4;

    /// <summary>
    /// Queues a small untraced event (reader thread) as a record in the current block: appended to the queue's last entry
    /// when that is a run ending right where this record starts, else a new run. A queue entry per event made the entry
    /// array double as a backlog deepened: about 300 B per event over the first flood of 200,000 on tcp
    /// (docs/benchmarks.md, "Bytes per event, round three").
    /// </summary>
    private bool EnqueueRecord(SubscriptionKey key, uint methodId, in ReadOnlySequence<byte> body, bool binary, ulong tag)
    {
        var length = (int)body.Length;
        if (_block is null || _block.Capacity - _block.Used < RecordHeader + length)
        {
            _block?.Release(); // the reader's own reference: the block is freed once its events have been delivered
            _block = new EventBlock(BacklogBlock.Rent());
        }
        var block = _block;
        var at = block.Used;
        var record = block.Span.Slice(at, RecordHeader + length);
        BinaryPrimitives.WriteInt32LittleEndian(record, length);
        BinaryPrimitives.WriteUInt32LittleEndian(record[4..], methodId);
        BinaryPrimitives.WriteUInt32LittleEndian(record[8..], key.Id);
        record[12] = (byte)((key.Bus ? RecordBus : 0) | (binary ? RecordBinary : 0));
        BinaryPrimitives.WriteUInt64LittleEndian(record[16..], tag);
        body.CopyTo(record[RecordHeader..]);
        // Used moves on (and the block gains the event's reference) only if the event is queued: one refused by the
        // policy leaves no gap, so the next record still extends the run.
        return Enqueue(new Item(key, methodId, block, at, length, tag, null, Binary: binary), record: true);
    }

    /// <summary>Under the lock: the next record of a run, as the item the event loop delivers; the run moves past it.</summary>
    private static Item TakeRecord(ref Item run)
    {
        var block = run.Buffer!;
        var record = block.Span.Slice(run.Offset, RecordHeader);
        var length = BinaryPrimitives.ReadInt32LittleEndian(record);
        var flags = record[12];
        var key = new SubscriptionKey((flags & RecordBus) != 0, BinaryPrimitives.ReadUInt32LittleEndian(record[8..]));
        var methodId = BinaryPrimitives.ReadUInt32LittleEndian(record[4..]);
        var tag = BinaryPrimitives.ReadUInt64LittleEndian(record[16..]);
        var payloadAt = run.Offset + RecordHeader;
        run = run with { Offset = payloadAt + length };
        // A record dropped by the policy gave its block reference back and left the byte count then (as a dropped item).
        return (flags & RecordDropped) != 0
            ? new Item(key, methodId, null, 0, 0, tag, null, Dropped: true)
            : new Item(key, methodId, block, payloadAt, length, tag, null, Binary: (flags & RecordBinary) != 0);
    }

    /// <summary>Gives a transport's delivery tag back once the event is done with (0: the transport did not tag it).</summary>
    private void Handled(ulong tag)
    {
        if (tag != 0) _connection.EventHandled(tag);
    }

    /// <summary>Events up to this size are copied into a shared block (<see cref="Copy"/>); larger ones get a buffer of their own.</summary>
    private const int SmallEvent = 4 * 1024;

    private EventBlock? _block; // the block small events are being copied into (reader thread only)

    /// <summary>
    /// Copies a queued event out of the pipe (reader thread). Small events go one after another into a shared 64 KiB
    /// block (<see cref="BacklogBlock"/>), released when its last event has been delivered: one pooled buffer per event
    /// would miss the pool as soon as more than a few events queue (it keeps only a few per size), and allocate a new
    /// array per event.
    /// </summary>
    private EventBlock Copy(in ReadOnlySequence<byte> body, out int offset, out int length)
    {
        length = (int)body.Length;
        if (length > SmallEvent)
        {
            var own = new EventBlock(ArrayPool<byte>.Shared.Rent(length)); // its one reference is the event's
            body.CopyTo(own.Span);
            offset = 0;
            return own;
        }
        if (_block is null || _block.Capacity - _block.Used < length)
        {
            _block?.Release(); // the reader's own reference: the block is freed once its events have been delivered
            _block = new EventBlock(BacklogBlock.Rent());
        }
        var block = _block;
        offset = block.Used;
        body.CopyTo(block.Span[offset..]);
        block.Used += length;
        block.AddRef();
        return block;
    }

    /// <summary>
    /// The bytes of one or more queued events: a shared <see cref="BacklogBlock"/> of small ones, or a pooled array of one
    /// large event; given back when no queued event needs it any more.
    /// </summary>
    private sealed class EventBlock
    {
        private int _refs = 1;
        private readonly byte[]? _array;
        private readonly BacklogBlock? _shared;

        public EventBlock(byte[] array)
        {
            _array = array;
            Memory = array;
        }

        public EventBlock(BacklogBlock shared)
        {
            _shared = shared;
            Memory = shared.Memory;
        }

        public Memory<byte> Memory { get; }
        public Span<byte> Span => _array ?? _shared!.GetSpan();
        public int Capacity => Memory.Length;
        public int Used { get; set; }
        public void AddRef() => Interlocked.Increment(ref _refs);

        public void Release()
        {
            if (Interlocked.Decrement(ref _refs) != 0) return;
            if (_array is not null) ArrayPool<byte>.Shared.Return(_array);
            else _shared!.Return();
        }
    }

    /// <summary>Runs subscribers on the reader thread until one goes asynchronous; the rest of the event is queued behind it.</summary>
    /// <summary>The event a subscriber gets: its argument object and, with the Binary flag, its binary argument (validated on arrival).</summary>
    /// <remarks><paramref name="reused"/> is the delivery site's own instance (a subscriber reads it only synchronously).</remarks>
    private static InboundEvent NewEvent(InboundEvent reused, uint methodId, in ReadOnlySequence<byte> body, bool binary)
    {
        if (!binary) return reused.Set(methodId, body);
        BinarySection.TrySplit(FrameFlags.Binary, body, out var json, out var bytes, out _);
        return reused.Set(methodId, json, hasBinary: true, bytes);
    }

    // The event object of each delivery site: the reader thread's inline delivery and the event loop (one thread each).
    private InboundEvent? _inlineEvent;
    private InboundEvent? _loopEvent;

    private bool DeliverInline(EventSubscriber[] subscribers, SubscriptionKey key, uint methodId, in ReadOnlySequence<byte> body, bool binary, ActivityContext parent, ulong tag)
    {
        var activityBefore = Activity.Current;
        var telemetry = IpcTelemetry.StartEventReceive(_connection, key, methodId, parent);
        var context = IpcCallContext.Enter(_connection, ref _connection.HandlerContext);
        try
        {
            for (var i = 0; i < subscribers.Length; i++)
            {
                ValueTask delivery;
                try
                {
                    delivery = subscribers[i].DeliverAsync(NewEvent(_inlineEvent ??= new InboundEvent(_connection), methodId, body, binary));
                }
                catch (Exception e)
                {
                    telemetry.Fail(e);
                    Report(e);
                    continue;
                }
                finally
                {
                    _inlineEvent?.Set(0, default); // holds no pipe memory once the subscriber's synchronous part is done
                }
                if (delivery.IsCompletedSuccessfully) continue;
                // This subscriber is still running: the next one (and every later event) waits for it.
                var barrier = Observe(delivery, telemetry);
                Activity.Current = activityBefore; // the span ends when the queued rest does
                var block = Copy(body, out var offset, out var length);
                return Enqueue(new Item(key, methodId, block, offset, length, tag, new ItemExtras(parent, subscribers, i + 1, barrier, telemetry), Binary: binary));
            }
        }
        finally
        {
            context.Dispose();
        }
        telemetry.Dispose();
        Handled(tag);
        return false;
    }

    private async Task Observe(ValueTask delivery, EventScope telemetry)
    {
        try
        {
            await delivery.ConfigureAwait(false);
        }
        catch (Exception e)
        {
            telemetry.Fail(e);
            Report(e);
        }
    }

    /// <summary>
    /// Reports a subscriber's failure to <see cref="IpcOptions.EventHandlerException"/> (or the log). That callback is
    /// application code and may throw too; it runs on the event loop or the reader thread, neither of which may end
    /// for it (later events would wait forever, or the connection would drop as "lost").
    /// </summary>
    private void Report(Exception e)
    {
        try
        {
            _local.Options.ReportEventHandlerException(e);
        }
        catch (Exception callbackFailure)
        {
            // Standard error is the default sink anyway: the failure stays visible without ending delivery.
            Console.Error.WriteLine(
                $"IpcContracts: IpcOptions.EventHandlerException threw {callbackFailure.GetType().FullName} ({callbackFailure.Message}) while reporting {e.GetType().FullName}: {e.Message}");
        }
    }

    private bool Enqueue(in Item item, bool record = false)
    {
        Exception? fault = null;
        var pause = false;
        lock (_lock)
        {
            if (!_completed && _bytes > 0 && _bytes + item.Length > _options.MaxQueuedBytes)
            {
                switch (item.Key.Bus ? _options.Overflow : _options.PolicyFor(item.Key.Id))
                {
                    case EventOverflowPolicy.DropOldest:
                        DropOldest(item);
                        // Nothing older of this contract left to drop: the newest goes instead. The rest of an inline
                        // delivery is always kept, since a subscriber already saw that event.
                        if (item.Barrier is null && _bytes > 0 && _bytes + item.Length > _options.MaxQueuedBytes)
                        {
                            _dropped++;
                            fault = Skipped;
                        }
                        break;
                    case EventOverflowPolicy.Wait:
                        pause = true; // queued anyway: the reader stops reading until there is room again
                        break;
                    default:
                        fault = new ChannelFaultedException(
                            $"This process's subscribers do not keep up with events from {_connection.PeerDescription}: more than {_options.MaxQueuedBytes} bytes of received events waited (EventDeliveryOptions.MaxQueuedBytes, policy Disconnect), so the connection was closed.", DisconnectReason.Stalled);
                        break;
                }
            }
            if (!_completed && fault is null)
            {
                if (record) AppendRecord(item);
                else
                {
                    if (_tail - _head == _items.Length) Grow();
                    _items[_tail & (_items.Length - 1)] = item;
                    _tail++;
                }
                _bytes += item.Length;
                Volatile.Write(ref _busy, _busy + 1);
                WakeLoop();
                return pause;
            }
        }
        if (!record) item.Buffer?.Release(); // a record not queued holds no reference yet
        item.Telemetry.Dispose();
        if (fault == Skipped) Handled(item.Tag); // dropped by the policy: done with, unlike an event refused by a closing queue
        else if (fault is not null) _connection.Fault(fault);
        return false;
    }

    private static readonly Exception Skipped = new OperationCanceledException("dropped by policy");

    /// <summary>Under the lock: a record written at the block's end is queued, extending the last run when it ends there.</summary>
    private void AppendRecord(in Item item)
    {
        var block = item.Buffer!;
        var end = item.Offset + RecordHeader + item.Length;
        block.AddRef();
        block.Used = end;
        if (_tail > _head)
        {
            ref var last = ref _items[(_tail - 1) & (_items.Length - 1)];
            if (last.Run && last.Buffer == block && last.RunEnd == item.Offset)
            {
                last = last with { RunEnd = end };
                return;
            }
        }
        if (_tail - _head == _items.Length) Grow();
        // The run holds a reference of its own until the loop has taken its last record: the headers are read then, even
        // those of records the policy dropped (which gave their own references back at once).
        block.AddRef();
        _items[_tail & (_items.Length - 1)] = new Item(default, 0, block, item.Offset, 0, 0, null, Run: true, RunEnd: end);
        _tail++;
    }

    /// <summary>Under the lock: drops the oldest queued events of the item's key that no subscriber has started on.</summary>
    private void DropOldest(in Item item)
    {
        for (var seq = _head; seq < _tail && _bytes > 0 && _bytes + item.Length > _options.MaxQueuedBytes; seq++)
        {
            ref var queued = ref _items[seq & (_items.Length - 1)];
            if (queued.Run)
            {
                DropOldestRecords(queued, item);
                continue;
            }
            // The rest of an inline delivery (a Barrier) is never dropped: a subscriber already saw that event.
            if (queued.Barrier is not null || queued.Dropped || queued.Key != item.Key) continue;
            queued.Buffer?.Release();
            _bytes -= queued.Length;
            queued = queued with { Buffer = null, Length = 0, Dropped = true };
            _dropped++;
        }
    }

    /// <summary>Under the lock: as <see cref="DropOldest"/>, for the records of a run the event loop has not taken yet.</summary>
    private void DropOldestRecords(in Item run, in Item item)
    {
        var block = run.Buffer!;
        for (var at = run.Offset; at < run.RunEnd && _bytes > 0 && _bytes + item.Length > _options.MaxQueuedBytes;)
        {
            var record = block.Span.Slice(at, RecordHeader);
            var length = BinaryPrimitives.ReadInt32LittleEndian(record);
            var key = new SubscriptionKey((record[12] & RecordBus) != 0, BinaryPrimitives.ReadUInt32LittleEndian(record[8..]));
            if ((record[12] & RecordDropped) == 0 && key == item.Key)
            {
                record[12] |= RecordDropped;
                block.Release();
                _bytes -= length;
                _dropped++;
            }
            at += RecordHeader + length;
        }
    }

    private void Grow()
    {
        var bigger = new Item[_items.Length * 2];
        for (var seq = _head; seq < _tail; seq++) bigger[seq & (bigger.Length - 1)] = _items[seq & (_items.Length - 1)];
        _items = bigger;
    }

    /// <summary>Pauses the reader until the queue is back under its bound; closes the connection after the wait timeout.</summary>
    public async Task WaitForRoomAsync()
    {
        Task wait;
        lock (_lock)
        {
            if (_completed || _bytes <= _options.MaxQueuedBytes) return;
            _roomMade ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            wait = _roomMade.Task;
        }
        try
        {
            await wait.WaitAsync(_options.WaitTimeout).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            _connection.Fault(new ChannelFaultedException(
                $"This process's subscribers did not take events from {_connection.PeerDescription} within {_options.WaitTimeout.TotalSeconds:0.###} s (EventOverflowPolicy.Wait), so the connection was closed.", DisconnectReason.Stalled));
        }
    }

    /// <summary>
    /// The read loop has ended (reader thread): its reference to the block it was copying into goes back, so the block is
    /// freed once the events in it have been delivered. Native memory (<see cref="BacklogBlock"/>): left to the collector it
    /// would never be freed.
    /// </summary>
    public void ReaderDone()
    {
        var block = _block;
        _block = null;
        block?.Release();
    }

    /// <summary>No more events are taken; the loop delivers what is already queued, then ends.</summary>
    public void Complete()
    {
        lock (_lock)
        {
            _completed = true;
            WakeLoop();
            _roomMade?.TrySetResult();
            _roomMade = null;
        }
    }

    /// <summary>The event loop: one item at a time, each subscriber awaited before the next.</summary>
    public async Task RunAsync()
    {
        IpcCallContext.EnterEventLoop(_connection);
        // The item delivered last, accounted for under the same lock that takes the next one: one lock per event, not two.
        Item done = default;
        var hasDone = false;
        while (true)
        {
            Item item;
            var wait = false;
            var finished = false;
            lock (_lock)
            {
                if (hasDone) Delivered(done);
                if (_head < _tail)
                {
                    ref var slot = ref _items[_head & (_items.Length - 1)];
                    if (slot.Run)
                    {
                        item = TakeRecord(ref slot);
                        // Taken to its end: gone from the queue, and the reader's next record starts a new run.
                        if (slot.Offset == slot.RunEnd)
                        {
                            slot.Buffer!.Release(); // the run's own reference; the record taken holds one of its own
                            slot = default;
                            _head++;
                        }
                    }
                    else
                    {
                        item = slot;
                        slot = default;
                        _head++;
                    }
                }
                else if (_completed)
                {
                    item = default;
                    finished = true;
                }
                else
                {
                    item = default;
                    _itemQueued.Reset();
                    _loopWaiting = true;
                    wait = true;
                }
            }
            if (hasDone)
            {
                hasDone = false;
                Handled(done.Tag); // delivered, or dropped by the policy
                done = default;
            }
            if (finished) return;
            if (wait)
            {
                await new ValueTask(this, _itemQueued.Version).ConfigureAwait(false);
                continue;
            }
            try
            {
                if (!item.Dropped) await DeliverAsync(item).ConfigureAwait(false);
            }
            catch
            {
                // Not expected (DeliverAsync reports subscribers' failures itself); the loop ends, but the item is still
                // accounted for, as it always was.
                item.Buffer?.Release();
                lock (_lock) Delivered(item);
                Handled(item.Tag);
                throw;
            }
            item.Buffer?.Release();
            done = item;
            hasDone = true;
        }
    }

    /// <summary>Under the lock: the loop, if it waits, goes on (on a pool thread).</summary>
    private void WakeLoop()
    {
        if (!_loopWaiting) return;
        _loopWaiting = false;
        _itemQueued.SetResult(true);
    }

    void IValueTaskSource.GetResult(short token) => _itemQueued.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _itemQueued.GetStatus(token);

    void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _itemQueued.OnCompleted(continuation, state, token, flags);

    /// <summary>Under the lock: a taken item is done with; its bytes leave the bound and a reader paused for room may go on.</summary>
    private void Delivered(in Item item)
    {
        _bytes -= item.Length;
        Volatile.Write(ref _busy, _busy - 1);
        if (_roomMade is { } room && _bytes <= _options.MaxQueuedBytes)
        {
            _roomMade = null;
            room.TrySetResult();
        }
    }

    /// <summary>
    /// Delivers a queued event: synchronously while its subscribers complete synchronously (no state machine, nothing
    /// allocated per event), then asynchronously from the first one that does not. The rest of an inline delivery first
    /// waits for the subscriber still running (its barrier).
    /// </summary>
    private Task DeliverAsync(in Item item)
    {
        if (item.Barrier is not null) return DeliverRestAsync(item, item.Subscribers!, item.Start, default, item.Telemetry);
        var telemetry = IpcTelemetry.StartEventReceive(_connection, item.Key, item.MethodId, item.Parent);
        var subscribers = _local.GetSubscribers(item.Key); // a queued event reads its subscribers now
        var payload = new ReadOnlySequence<byte>(item.Buffer!.Memory.Slice(item.Offset, item.Length));
        for (var i = item.Start; i < subscribers.Length; i++)
        {
            ValueTask delivery;
            try
            {
                delivery = subscribers[i].DeliverAsync(NewEvent(_loopEvent ??= new InboundEvent(_connection), item.MethodId, payload, item.Binary));
                _loopEvent.Set(0, default); // the buffer goes back to the pool after this item
                if (delivery.IsCompleted)
                {
                    delivery.GetAwaiter().GetResult();
                    continue;
                }
            }
            catch (Exception e)
            {
                telemetry.Fail(e);
                Report(e);
                continue;
            }
            return DeliverRestAsync(item, subscribers, i + 1, delivery, telemetry);
        }
        telemetry.Dispose();
        return Task.CompletedTask;
    }

    /// <summary>Awaits <paramref name="running"/> (after the item's barrier, if any), then delivers to the subscribers from <paramref name="start"/> on.</summary>
    private async Task DeliverRestAsync(Item item, EventSubscriber[] subscribers, int start, ValueTask running, EventScope telemetry)
    {
        try
        {
            if (item.Barrier is { } barrier) await barrier.ConfigureAwait(false); // never faults: failures were reported where they happened
            try
            {
                await running.ConfigureAwait(false);
            }
            catch (Exception e)
            {
                telemetry.Fail(e);
                Report(e);
            }
            var payload = new ReadOnlySequence<byte>(item.Buffer!.Memory.Slice(item.Offset, item.Length));
            for (var i = start; i < subscribers.Length; i++)
            {
                try
                {
                    var delivery = subscribers[i].DeliverAsync(NewEvent(_loopEvent ??= new InboundEvent(_connection), item.MethodId, payload, item.Binary));
                    _loopEvent.Set(0, default);
                    await delivery.ConfigureAwait(false);
                }
                catch (Exception e)
                {
                    telemetry.Fail(e);
                    Report(e);
                }
            }
        }
        finally
        {
            telemetry.Dispose();
        }
    }

    /// <summary>
    /// One queued event, or the rest of an inline delivery: subscribers from <see cref="Start"/> on, after <see cref="Barrier"/>
    /// (the subscriber still running) has finished. Or, with <see cref="Run"/>, small events queued one after another as
    /// records in one block (<see cref="EnqueueRecord"/>): those from <see cref="Offset"/> (the next one to deliver) up to
    /// <see cref="RunEnd"/>; the event loop takes them one at a time (<see cref="TakeRecord"/>) as items of their own.
    /// </summary>
    /// <remarks>
    /// Kept small, with two references (<see cref="Buffer"/>, <see cref="Extras"/>): the queue copies items into and out of
    /// its array under the lock, and a copy of a struct that holds references goes through the runtime's write-barrier
    /// helper per reference. With the trace parent, subscribers, barrier and telemetry inline (six references, about 100
    /// bytes) those copies cost ~900 instructions per queued event (docs/benchmarks.md, session 14); they are needed only
    /// by traced events and the rest of an inline delivery, which carry them in <see cref="ItemExtras"/>.
    /// </remarks>
    private readonly record struct Item(SubscriptionKey Key, uint MethodId, EventBlock? Buffer, int Offset, int Length, ulong Tag,
        ItemExtras? Extras, bool Dropped = false, bool Binary = false, bool Run = false, int RunEnd = 0)
    {
        public ActivityContext Parent => Extras?.Parent ?? default;
        public EventSubscriber[]? Subscribers => Extras?.Subscribers;
        public int Start => Extras?.Start ?? 0;
        public Task? Barrier => Extras?.Barrier;
        public EventScope Telemetry => Extras?.Telemetry ?? default;
    }

    /// <summary>
    /// What only some queued items have: a traced event's parent context, and for the rest of an inline delivery the
    /// subscribers it goes on to from <see cref="Start"/>, the subscriber still running (<see cref="Barrier"/>) and the
    /// span that ends when it is done.
    /// </summary>
    private sealed class ItemExtras(ActivityContext parent, EventSubscriber[]? subscribers, int start, Task? barrier, EventScope telemetry)
    {
        public ActivityContext Parent { get; } = parent;
        public EventSubscriber[]? Subscribers { get; } = subscribers;
        public int Start { get; } = start;
        public Task? Barrier { get; } = barrier;
        public EventScope Telemetry { get; } = telemetry;
    }
}
