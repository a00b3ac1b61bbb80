using System.Threading.Tasks.Sources;

namespace IpcContracts.Transports;

/// <summary>
/// Finishes a transport write on a thread of its writer's own when the peer has no room for it yet. The writer sends
/// what fits on the caller's thread, keeps the rest, hands it over here and returns the pending task this gives: neither
/// a caller nor a reader thread ever waits for the peer, and no thread-pool thread does either (a few peers that stop
/// reading would hold pool threads for up to the send-stall bound and starve every connection's handlers and
/// continuations). Used by the socket writer of a connection that reads on a thread of its own
/// (<c>Streams/PollingSocketWriter</c>, which waits for room in <c>poll(2)</c>) and by the shared-memory writer
/// (<c>SharedMemory/ShmPipeWriter</c>, which waits on the ring); each says how in the finishing function it passes.
/// </summary>
/// <remarks>
/// One write at a time: the core awaits each before it starts the next. The task is backed by one reusable
/// <see cref="IValueTaskSource"/>, so a hand-over allocates nothing once the thread runs. The thread starts at the first
/// hand-over, waits on a monitor between writes, and ends when the writer stops (<see cref="Stop"/>, after finishing a write
/// already handed over) or after the idle time given without one; the next hand-over then starts a new one. It runs no
/// continuation itself: they go to the thread pool (run inline on the thread, the 24 MiB JSON transfer over pipe:// took
/// 38-46 ms against 14-20 ms; docs/benchmarks.md, "Session 20").
/// </remarks>
internal sealed class WriteHandoff<TState, TResult> : IValueTaskSource<TResult>, IValueTaskSource
{
    private readonly object _gate = new(); // a monitor, not a Lock: the thread waits on it (Monitor.Wait)
    private readonly string _threadName;
    private readonly Func<TState, TResult> _finish;
    private readonly int _idleMilliseconds;
    private ManualResetValueTaskSourceCore<TResult> _completion = new() { RunContinuationsAsynchronously = true };
    private TState _state = default!; // the pending write's rest, kept by the writer until handed over
    private bool _pending;
    private bool _running;
    private bool _stopped;

    /// <param name="threadName">The thread's name (tests and profilers find it by name).</param>
    /// <param name="finish">
    /// Runs on the thread for each write handed over, with the state it was handed over with: waits for room and writes
    /// the rest; its result completes the write's task, its exception fails it.
    /// </param>
    /// <param name="idleMilliseconds">How long the thread waits for the next write before it ends; infinite by default.</param>
    public WriteHandoff(string threadName, Func<TState, TResult> finish, int idleMilliseconds = Timeout.Infinite)
    {
        _threadName = threadName;
        _finish = finish;
        _idleMilliseconds = idleMilliseconds;
    }

    /// <summary>
    /// Hands the rest of a write (<paramref name="state"/>: what the finishing function needs) over to the thread;
    /// <paramref name="token"/> is for the task (<c>new ValueTask(this, token)</c>). False once stopped: nothing was handed
    /// over, and the state is still the writer's.
    /// </summary>
    /// <exception cref="InvalidOperationException">A write is still pending: writes must be awaited one at a time.</exception>
    public bool TryHandOver(in TState state, out short token)
    {
        lock (_gate)
        {
            token = 0;
            if (_pending) throw new InvalidOperationException("A write is already waiting for room on this connection: writes must be awaited one at a time.");
            if (_stopped) return false;
            _completion.Reset();
            token = _completion.Version;
            _state = state;
            _pending = true;
            if (_running)
            {
                Monitor.Pulse(_gate);
            }
            else
            {
                _running = true;
                new Thread(static s => ((WriteHandoff<TState, TResult>)s!).Run()) { IsBackground = true, Name = _threadName }.UnsafeStart(this);
            }
            return true;
        }
    }

    /// <summary>No more hand-overs: a write already handed over is still finished (the writer's function fails it when its connection is closing), then the thread ends.</summary>
    public void Stop()
    {
        lock (_gate)
        {
            _stopped = true;
            Monitor.PulseAll(_gate);
        }
    }

    private void Run()
    {
        while (true)
        {
            TState state;
            lock (_gate)
            {
                if (!_pending && !_stopped) Monitor.Wait(_gate, _idleMilliseconds);
                if (!_pending)
                {
                    _running = false; // stopped or idle: the next hand-over starts a new thread
                    return;
                }
                state = _state;
                _state = default!; // holds no buffer past its write
            }
            TResult result = default!;
            Exception? failure = null;
            try
            {
                result = _finish(state);
            }
            catch (Exception e)
            {
                failure = e;
            }
            // Cleared before the write completes: its continuation may hand the next write over at once.
            lock (_gate) _pending = false;
            if (failure is null) _completion.SetResult(result);
            else _completion.SetException(failure);
        }
    }

    TResult IValueTaskSource<TResult>.GetResult(short token) => _completion.GetResult(token);

    void IValueTaskSource.GetResult(short token) => _completion.GetResult(token);

    public ValueTaskSourceStatus GetStatus(short token) => _completion.GetStatus(token);

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _completion.OnCompleted(continuation, state, token, flags);
}
