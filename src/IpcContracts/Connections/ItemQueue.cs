using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;
using System.Threading.Tasks.Sources;

namespace IpcContracts.Connections;

/// <summary>
/// The items of one stream on their way from a connection's read loop to the code enumerating them: a stream result's
/// caller (<see cref="StreamCall{T}"/>) or a handler reading an argument stream (<see cref="ArgumentStreamReader{T}"/>).
/// One producer, the read loop, which never waits; one consumer. The stream's credit window bounds what is queued.
/// </summary>
/// <remarks>
/// A waiting consumer is woken once the read that brought its next items has been handled whole
/// (<see cref="IpcConnection.WakeAfterRead"/>), through the thread pool, and then takes every item of that read without
/// waiting again. Woken per item, a consumer that keeps up waits, and costs a wake-up, once per item: 64 B stream items over
/// shm:// ran at 0.41x the events of the same transport (issue #13 asks 0.8x), and at 0.57x-0.83x woken per read
/// (`--quick --only "2b/3c. shm"`, docs/benchmarks.md, session 12). Never on the reader thread: the consumer's code may
/// block, even on another call of the same connection (docs/semantics.md, "Streams", 11).
/// </remarks>
internal sealed class ItemQueue<T>(IpcConnection connection) : IWakeAfterRead, IValueTaskSource<bool>
{
    private readonly ConcurrentQueue<(T Item, int Size, byte[]? Lent)> _queue = new();

    // The consumer's wait: _waiting is 1 from the moment it waits until whoever takes the flag back (the read loop after an
    // item, the end, or the consumer itself on finding an item after all) completes _wait. Enqueueing is an interlocked
    // operation, so a producer that enqueued and then sees _waiting == 0 knows the consumer will look at the queue again.
    private ManualResetValueTaskSourceCore<bool> _wait = new() { RunContinuationsAsynchronously = true };
    private int _waiting;
    private int _completing; // 1 once the end or an error was recorded
    private volatile bool _completed; // set after _completion: everything queued before it is in the queue
    private Exception? _completion; // thrown once the queue is drained; null for a normal end
    private bool _wakeQueued; // read loop only: this queue is in the connection's wake-after-read list

    /// <summary>Read loop: queues an item; never waits.</summary>
    public void Add(T item, int size, byte[]? lent)
    {
        _queue.Enqueue((item, size, lent));
        if (Volatile.Read(ref _waiting) == 0 || _wakeQueued) return;
        _wakeQueued = true;
        connection.WakeAfterRead(this);
    }

    /// <summary>The consumer: the next item, if one is queued.</summary>
    public bool TryTake(out (T Item, int Size, byte[]? Lent) next) => _queue.TryDequeue(out next);

    /// <summary>Records the end (null) or an error, once, from any thread; the consumer sees it after the items queued before it.</summary>
    public void Complete(Exception? error)
    {
        if (Interlocked.Exchange(ref _completing, 1) != 0) return;
        _completion = error;
        _completed = true;
        Wake();
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

    /// <summary>
    /// The consumer, with nothing taken: true once an item is queued (or spuriously: take again, and wait again if there is
    /// none), false at the end, and the error once the items before it are taken. One wait at a time.
    /// </summary>
    public ValueTask<bool> WaitToReadAsync()
    {
        // The end is read before the queue: items queued before the end are in the queue by the time it shows.
        var completed = _completed;
        if (!_queue.IsEmpty) return new ValueTask<bool>(true);
        if (completed) return Drained();
        _wait.Reset();
        Volatile.Write(ref _waiting, 1);
        Interlocked.MemoryBarrier(); // the flag before the second look (the producer enqueues, interlocked, before it looks at the flag)
        completed = _completed;
        if ((!_queue.IsEmpty || completed) && Interlocked.Exchange(ref _waiting, 0) != 0)
            return !_queue.IsEmpty ? new ValueTask<bool>(true) : Drained();
        // Otherwise a producer took the flag and completes the wait.
        return new ValueTask<bool>(this, _wait.Version);
    }

    private ValueTask<bool> Drained() => _completion is null ? new ValueTask<bool>(false) : ValueTask.FromException<bool>(_completion);

    bool IValueTaskSource<bool>.GetResult(short token)
    {
        _wait.GetResult(token);
        var completed = _completed;
        // Not completed: an item came, or a deferred wake for items the consumer found itself before it waited again.
        if (!_queue.IsEmpty || !completed) return true;
        if (_completion is null) return false;
        ExceptionDispatchInfo.Throw(_completion);
        return false;
    }

    ValueTaskSourceStatus IValueTaskSource<bool>.GetStatus(short token) => _wait.GetStatus(token);

    void IValueTaskSource<bool>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _wait.OnCompleted(continuation, state, token, flags);
}
