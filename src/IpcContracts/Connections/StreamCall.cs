using System.Buffers;
using System.Diagnostics;
using System.Text.Json.Serialization.Metadata;
using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Threading.Tasks.Sources;
using IpcContracts.Protocol;

namespace IpcContracts.Connections;

/// <summary>
/// The caller's side of a stream result: a pending call that receives StreamItem frames until a Response (the end)
/// or an Error. Items are parsed on the reader thread and queued for the consumer; the credit window bounds the queue:
/// the reader never waits for the consumer, and the consumer holds at most <see cref="StreamOptions.CreditWindow"/>
/// (<see cref="StreamOptions.ByteCreditWindow"/> for bytes) of items (plus one item) because the producer may not send
/// more before it is granted more (docs/protocol.md, "Streams").
/// </summary>
/// <remarks>
/// A consumer waiting for the next item is woken once the read that brought it has been handled whole
/// (<see cref="IpcConnection.WakeAfterRead"/>), and then takes every item of that read without waiting again: woken per
/// item, a consumer that keeps up waits, and costs a wake-up, once per item. Issue #13 asks for 64 B items at 0.8x the events of
/// the same transport; woken per item through the thread pool shm:// reached 0.41x (`--quick --only "2b/3c. shm"`), and
/// 0.70x-0.75x woken per read. It resumes on the thread pool, never on the reader thread, whatever
/// <see cref="IpcOptions.ContinuationsOnReaderThread"/> says: the loop body and the code after the loop are the user's,
/// and blocking there on another call of the same connection would wait for the thread that has to read its reply (woken
/// inline per read was no faster: 0.61-0.65 µs per item against 0.47-0.53, `counts --only shm-stream-items`).
/// </remarks>
internal sealed class StreamCall<T> : PendingCall, IAsyncEnumerator<T>, IStreamItemSink, IChunkLender, IWakeAfterRead, IValueTaskSource<bool>
{
    private readonly ConcurrentQueue<(T Item, int Size, byte[]? Lent)> _queue = new();
    private readonly JsonTypeInfo<T> _itemType;
    private readonly ConsumerCredit _credit;
    private readonly CancellationToken _consumerToken;
    private readonly CallTimeout _itemTimeout;
    private CancellationTokenSource? _linked;
    private int _ended; // 1 once the consumer saw the end, an error, or gave up
    private bool _lend; // set by the consumer (a ChunkReadStream), read by the reader thread: items from then on are lent
    private byte[]? _lent; // the pooled buffer of Current, given back when the consumer asks for the next item

    // The consumer's wait: _waiting is 1 from the moment it waits until whoever takes the flag back (a new item, the end,
    // or the consumer itself on finding an item after all) completes _wait. The queue's enqueue is an interlocked
    // operation, so a writer that enqueued and then sees _waiting == 0 knows the consumer will look at the queue again.
    private ManualResetValueTaskSourceCore<bool> _wait;
    private int _waiting;
    private int _completing; // 1 once the end or an error was recorded
    private volatile bool _completed; // set after _completion: everything queued before it is in the queue
    private Exception? _completion; // thrown once the queue is drained; null for a normal end
    private bool _wakeQueued; // reader thread only: this call is in the connection's wake-after-read list

    public void LendChunks() => Volatile.Write(ref _lend, true);

    // itemTimeout: how long the consumer waits for each next item, the deadline a call started now would have (scope,
    // method, default), fixed for the whole enumeration. A stream has no deadline as a whole, since its length is the
    // producer's business; what a deadline can bound without cutting a healthy stream short is a producer gone quiet.
    public StreamCall(IpcConnection connection, ulong id, string description, JsonTypeInfo<T> itemType, CancellationToken consumerToken,
        CallTimeout itemTimeout)
        : base(connection, id, description)
    {
        _itemTimeout = itemTimeout;
        _itemType = itemType;
        _wait = new ManualResetValueTaskSourceCore<bool> { RunContinuationsAsynchronously = true };
        _credit = new ConsumerCredit(connection.Options.Streams.WindowFor<T>());
        _credit.Granted(_credit.Window); // by InitialCredit, sent right behind the Request
        _consumerToken = consumerToken;
    }

    public T Current { get; private set; } = default!;

    private readonly TaskCompletionSource _endedSource = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes when the call is over on this side (end, error, cancel or early dispose): stops an argument stream.</summary>
    public Task Ended => _endedSource.Task;

    /// <summary>The first grant: the whole window, sent right behind the Request (the send queue keeps the order).</summary>
    public OutgoingFrame InitialCredit() => ConsumerCredit.Frame(FrameFlags.None, Id, _credit.Window);

    /// <summary>A StreamItem frame (reader thread): parse it and queue it; never waits.</summary>
    public void OnItem(in ReadOnlySequence<byte> payload, bool binary)
    {
        // The producer may start an item while it has any credit left, so an item may overdraw by its own size;
        // an item with no credit at all breaks the protocol (docs/protocol.md, "Streams").
        if (!_credit.TryReceive(payload.Length))
        {
            FailAndCancel(new IpcProtocolException(ProtocolError.UnexpectedFrame,
                $"The peer sent an item of {Description} beyond the credit it was granted ({_credit.Window} bytes)."));
            return;
        }
        T item;
        byte[]? lent = null;
        try
        {
            if (!binary || !Volatile.Read(ref _lend) || !ChunkLending.TryLend(payload, out item, out lent))
                item = PayloadJson.ReadItem(payload, binary, _itemType, "item of ", Description);
        }
        catch (Exception e)
        {
            FailAndCancel(e);
            return;
        }
        SetDeadline(0); // the producer is alive; the consumer re-arms when it finds nothing to read
        _queue.Enqueue((item, (int)payload.Length, lent));
        if (Volatile.Read(ref _waiting) == 0 || _wakeQueued) return;
        _wakeQueued = true;
        Connection.WakeAfterRead(this);
    }

    /// <summary>The read loop, once it has handled the read that queued an item for this waiting consumer.</summary>
    void IWakeAfterRead.Wake()
    {
        _wakeQueued = false;
        Wake();
    }

    private void Wake()
    {
        if (Interlocked.Exchange(ref _waiting, 0) != 0) _wait.SetResult(true);
    }

    /// <summary>Records the end (null) or an error, once; the consumer sees it after the items queued before it.</summary>
    private void TryComplete(Exception? error)
    {
        if (Interlocked.Exchange(ref _completing, 1) != 0) return;
        _completion = error;
        _completed = true;
        Wake();
    }

    private void FailAndCancel(Exception error)
    {
        Abandon();
        _endedSource.TrySetResult();
        Telemetry?.Complete(error);
        TryComplete(error);
    }

    /// <summary>The Response: the stream ended after the items already queued.</summary>
    public override void Complete(in ReadOnlySequence<byte> payload, bool binary)
    {
        Disarm();
        _endedSource.TrySetResult();
        Telemetry?.Complete(null);
        TryComplete(null);
    }

    public override void Fail(Exception error)
    {
        Disarm();
        _endedSource.TrySetResult();
        Telemetry?.Complete(error);
        TryComplete(error);
    }

    protected override void Cancelled(CancellationToken token)
    {
        _endedSource.TrySetResult();
        var error = new OperationCanceledException(token);
        Telemetry?.Complete(error);
        TryComplete(error);
    }

    // The wait's start by the high-resolution clock as well: the deadline is kept in Environment.TickCount64 (one clock
    // for every call the connection's timer checks); the message names the wait as measured by Stopwatch, so a report
    // whose two figures disagree points at the clock, not at the producer (one benchmark run failed a stream 11.7 s into
    // its step with this message and a 300 s timeout; not reproduced since, see docs/benchmarks.md).
    private long _waitStarted;

    protected override string TimeoutMessage =>
        $"The stream {Description} sent no item for {_itemTimeout} while its consumer waited (this wait began {Stopwatch.GetElapsedTime(Volatile.Read(ref _waitStarted)).TotalSeconds:0.###} s ago).";

    /// <summary>The token that cancels the call: the method's token and the enumerator's, linked when both can cancel.</summary>
    public CancellationToken Token(CancellationToken methodToken)
    {
        if (!_consumerToken.CanBeCanceled) return methodToken;
        if (!methodToken.CanBeCanceled) return _consumerToken;
        _linked = CancellationTokenSource.CreateLinkedTokenSource(methodToken, _consumerToken);
        return _linked.Token;
    }

    public ValueTask<bool> MoveNextAsync()
    {
        ChunkLending.Return(ref _lent); // the consumer is done with Current
        if (_queue.TryDequeue(out var next)) return new ValueTask<bool>(Take(next));
        return WaitAsync();
    }

    // Pooled: a consumer that keeps up waits for every read's items, and a box per wait was 115 B per item.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> WaitAsync()
    {
        while (true)
        {
            // Waiting with nothing buffered: the producer owes an item, so the call's timeout runs until one comes.
            if (!_itemTimeout.IsInfinite)
            {
                Volatile.Write(ref _waitStarted, Stopwatch.GetTimestamp());
                SetDeadline(_itemTimeout.DeadlineFromNow());
            }
            bool more;
            try
            {
                more = await WaitToReadAsync().ConfigureAwait(false);
            }
            catch
            {
                SetDeadline(0);
                Volatile.Write(ref _ended, 1);
                throw;
            }
            SetDeadline(0); // an item came (or the end): the consumer is not waiting on the producer any more
            if (!more)
            {
                Volatile.Write(ref _ended, 1);
                return false;
            }
            if (_queue.TryDequeue(out var next)) return Take(next);
        }
    }

    /// <summary>True once an item is queued; false at the end; throws the error once the items before it are taken.</summary>
    private ValueTask<bool> WaitToReadAsync()
    {
        // The end is read before the queue: items queued before the end are in the queue by the time it shows.
        var completed = _completed;
        if (!_queue.IsEmpty) return new ValueTask<bool>(true);
        if (completed) return Drained();
        _wait.Reset();
        Volatile.Write(ref _waiting, 1);
        Interlocked.MemoryBarrier(); // the flag before the second look; a writer enqueues (interlocked) before it looks at the flag
        completed = _completed;
        if ((!_queue.IsEmpty || completed) && Interlocked.Exchange(ref _waiting, 0) != 0)
            return !_queue.IsEmpty ? new ValueTask<bool>(true) : Drained();
        // Otherwise a writer took the flag and completes the wait.
        return new ValueTask<bool>(this, _wait.Version);
    }

    private ValueTask<bool> Drained() => _completion is null ? new ValueTask<bool>(false) : ValueTask.FromException<bool>(_completion);

    bool IValueTaskSource<bool>.GetResult(short token)
    {
        _wait.GetResult(token);
        var completed = _completed;
        if (!_queue.IsEmpty) return true;
        // A deferred wake for items the consumer found itself before it waited again: WaitAsync finds none and waits again.
        if (!completed) return true;
        return _completion is null ? false : throw Rethrow(_completion);
    }

    private static Exception Rethrow(Exception error)
    {
        System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(error);
        return error;
    }

    ValueTaskSourceStatus IValueTaskSource<bool>.GetStatus(short token) => _wait.GetStatus(token);

    void IValueTaskSource<bool>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _wait.OnCompleted(continuation, state, token, flags);

    private bool Take((T Item, int Size, byte[]? Lent) next)
    {
        Current = next.Item;
        _lent = next.Lent;
        if (_credit.Consumed(next.Size) is > 0 and var grant) Connection.TrySend(ConsumerCredit.Frame(FrameFlags.None, Id, grant));
        return true;
    }

    /// <summary>Early disposal (break out of <c>await foreach</c>) cancels the producer; after the end it only cleans up.</summary>
    public ValueTask DisposeAsync()
    {
        Current = default!;
        ChunkLending.Return(ref _lent);
        _endedSource.TrySetResult();
        if (Interlocked.Exchange(ref _ended, 1) == 0)
        {
            Abandon();
            TryComplete(new ObjectDisposedException(nameof(StreamCall<T>)));
        }
        _linked?.Dispose();
        return default;
    }
}

/// <summary>A pending call that takes StreamItem frames (the reader does not know the item type).</summary>
internal interface IStreamItemSink
{
    void OnItem(in ReadOnlySequence<byte> payload, bool binary);
}

/// <summary>
/// What a generated proxy returns for a stream method: cold, so every enumeration is its own call (like an
/// <c>async IAsyncEnumerable</c> method), and calls nothing until enumerated.
/// </summary>
internal sealed class StreamRequest<TArgs, TItem>(IpcConnection connection, Runtime.MethodDescriptor method, TArgs args,
    Runtime.ArgsWriter<TArgs> writeArgs, JsonTypeInfo<TItem> itemType, CancellationToken methodToken) : IAsyncEnumerable<TItem>
{
    public IAsyncEnumerator<TItem> GetAsyncEnumerator(CancellationToken cancellationToken = default) =>
        connection.StartStream(method, args, writeArgs, itemType, methodToken, cancellationToken);
}

/// <summary>A consumer the read loop wakes once it has handled the read that brought its items (<see cref="IpcConnection.WakeAfterRead"/>).</summary>
internal interface IWakeAfterRead
{
    void Wake();
}
