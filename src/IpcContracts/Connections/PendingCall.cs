using System.Buffers;
using System.Runtime.CompilerServices;
using System.Text.Json.Serialization.Metadata;
using IpcContracts.Protocol;

namespace IpcContracts.Connections;

/// <summary>An outbound request waiting for its Response or Error, matched by correlation ID.</summary>
internal abstract class PendingCall : IParkedOutcome
{
    private CancellationTokenRegistration _cancelRegistration;

    protected PendingCall(IpcConnection connection, ulong id, string description)
    {
        _connection = connection;
        _id = id;
        _description = description;
    }

    // Not readonly: a pooled call (PooledCall<T>) is reused for another call once its caller has read the result.
    private IpcConnection _connection;
    private ulong _id;
    private string _description;

    public IpcConnection Connection => _connection;
    public ulong Id => _id;

    /// <summary>True for a Ping, which only a Pong may complete (and a Pong nothing else).</summary>
    public bool IsPing { get; init; }

    /// <summary>"contract.method", for error messages.</summary>
    public string Description => _description;

    /// <summary>
    /// Makes a finished pooled call a new one. Only after its caller has read the result: every completion path ends
    /// with setting the result, and nothing reaches a call after it left the pending table and was completed (the
    /// timer removes by the ID it saw, <see cref="OnTimeout"/>; the token registration is disposed before completing).
    /// </summary>
    protected void Reuse(IpcConnection connection, ulong id, string description)
    {
        _connection = connection;
        _id = id;
        _description = description;
        Telemetry = null;
        _borrowed = null;
        _cancelRegistration = default;
        _deadlineTicks = 0;
        Deadline = CallTimeout.None;
        _sendState = 0;
        _done = 0;
        _failingAtStart = false;
    }

    // The caller's memory the Request frame references (a large binary argument); null once the outcome is published.
    private BorrowedArgument? _borrowed;

    /// <summary>
    /// The Request frame references the caller's memory: the outcome must not reach the caller while the send path still
    /// reads it (docs/semantics.md, "The caller's buffer"). Set before the call is registered, so every path that
    /// completes it sees the lease.
    /// </summary>
    public void Borrowing(BorrowedArgument borrowed) => _borrowed = borrowed;

    /// <summary>
    /// Right before <see cref="Deliver"/> resumes the caller with the outcome stored in the call: true to go ahead, false
    /// when the Request is being written from the caller's memory; the lease then calls <see cref="PublishParked"/> once
    /// the write has ended (the transport took the bytes, or failed when the connection closed). Exactly one completion
    /// path reaches this per call (whoever finished it).
    /// </summary>
    private bool MayPublish()
    {
        var borrowed = _borrowed;
        if (borrowed is null) return true;
        if (!borrowed.TryEndCall(this)) return false;
        _borrowed = null;
        return true;
    }

    /// <summary>
    /// Resumes the caller with the outcome <see cref="MayPublish"/> parked. Runs as a thread-pool work item of its own
    /// once the send path is done with the caller's memory, so the caller's continuation may run right here.
    /// </summary>
    public void PublishParked()
    {
        _borrowed = null;
        Resume(inline: true);
    }

    /// <summary>Client span and metrics of the call; null when nobody listens.</summary>
    public Diagnostics.CallTelemetry? Telemetry { get; set; }

    /// <summary>Where the handler's progress reports go; null when the caller passed no IProgress.</summary>
    public IProgressSink? Progress { get; init; }

    /// <summary>The Response (or Pong); <paramref name="binary"/>: the frame has the Binary flag (raw bytes, not JSON).</summary>
    public abstract void Complete(in ReadOnlySequence<byte> payload, bool binary);

    /// <summary>The next call in the read loop's list of decided calls whose callers resume when it next waits.</summary>
    internal PendingCall? NextDeferred;

    /// <summary>
    /// Hands the outcome (already decided and stored) to the caller. <paramref name="inline"/>: run the caller's
    /// continuation on this thread now; only the read loop does so, once it has handed reading on
    /// (<see cref="IpcConnection"/>'s ResumeCallersWhenArmed). Otherwise as the connection's setting says (the thread
    /// pool, or this thread on a reader-thread transport). The caller may reuse a pooled call from here on: nothing
    /// touches it after this.
    /// </summary>
    internal virtual void Resume(bool inline) =>
        throw new InvalidOperationException("Only a call that decides its outcome through Deliver is resumed."); // a stream call completes per item

    /// <summary>
    /// The outcome is decided: resume the caller now, or, on the read loop of a connection that defers, when the loop
    /// next waits for bytes (<see cref="IpcConnection.TryDefer"/>).
    /// </summary>
    protected void Deliver()
    {
        if (!MayPublish()) return; // parked: PublishParked resumes the caller once the write has ended
        if (_failingAtStart)
        {
            // Nobody can await the call yet, so no caller's code runs here: the caller gets a finished Task at once.
            _failingAtStart = false;
            Resume(inline: true);
        }
        else if (!_connection.TryDefer(this)) Resume(inline: false);
    }

    private bool _failingAtStart;

    /// <summary>The call ends before its Task (or ValueTask) was handed to the caller (the Request could not be queued).</summary>
    public void FailAtStart(Exception error)
    {
        _failingAtStart = true;
        Fail(error);
        _failingAtStart = false; // another path finished the call first (its Deliver may have used the flag: still nobody awaited)
    }
    public abstract void Fail(Exception error);
    protected abstract void Cancelled(CancellationToken token);

    // Environment.TickCount64 at which the call times out; 0 for none. Written here (Arm, SetDeadline), read only through
    // IsPastDeadline by the connection's deadline timer.
    private long _deadlineTicks;

    /// <summary>True when the call has a deadline and <paramref name="now"/> (Environment.TickCount64) is past it.</summary>
    public bool IsPastDeadline(long now) => IsPast(ref _deadlineTicks, now);

    /// <summary>
    /// Reads the deadline once. Read twice (nonzero, then past), a stream whose consumer took an item between the two
    /// reads (which sets 0) was timed out with its deadline 30 s away: "sent no item for 30 s ... (this wait began 0.002 s
    /// ago)", seen in CI on a 1 GiB stream and once in a benchmark (PendingCallDeadlineTests).
    /// </summary>
    internal static bool IsPast(ref long deadlineTicks, long now)
    {
        var deadline = Volatile.Read(ref deadlineTicks);
        return deadline != 0 && now >= deadline;
    }

    /// <summary>A stream waits for its next item at most this long; 0 disarms (the consumer is not waiting).</summary>
    protected void SetDeadline(long ticks) => Volatile.Write(ref _deadlineTicks, ticks);

    /// <summary>The deadline the call was armed with (<see cref="Arm"/>), and the setting it came from.</summary>
    protected CallTimeout Deadline { get; private set; } = CallTimeout.None;

    /// <summary>What a timeout says; a stream times out between items, not as a whole.</summary>
    protected virtual string TimeoutMessage => $"The call {Description} did not complete within {Deadline}.";

    // 0: the Request is not queued yet; 1: queued; 2: the call ended (cancel or timeout) before it was queued.
    private int _sendState;
    private int _done;

    /// <summary>
    /// Hooks the caller's token and sets the call deadline, before the Request is queued: a call whose Request
    /// cannot leave yet still ends on time. Either one sends Cancel to the peer (once the Request is queued, so a
    /// Cancel never overtakes its Request). The deadline is a number checked by one timer per connection, so a
    /// call allocates no timer of its own.
    /// </summary>
    public void Arm(CancellationToken cancellationToken, CallTimeout timeout)
    {
        Deadline = timeout;
        if (!timeout.IsInfinite) Volatile.Write(ref _deadlineTicks, timeout.DeadlineFromNow());
        if (!cancellationToken.CanBeCanceled) return;
        _cancelRegistration = cancellationToken.UnsafeRegister(static (s, ct) => ((PendingCall)s!).OnCancelled(ct), this);
        // The reply (or a fault) may have come on another thread before the registration was stored; its Disarm
        // then found nothing to release. Without this a long-lived token would keep one registration per such call.
        Interlocked.MemoryBarrier();
        if (Volatile.Read(ref _done) != 0) _cancelRegistration.Dispose();
    }

    /// <summary>The Request is in the send queue; a cancellation that came first sends its Cancel now.</summary>
    public void MarkQueued()
    {
        if (Interlocked.CompareExchange(ref _sendState, 1, 0) == 2) Connection.SendCancel(Id);
    }

    private void CancelOnPeer()
    {
        // A Request that never left (its frame abandoned in the send queue, it never will) needs no Cancel.
        if (_borrowed is { } borrowed && borrowed.TryAbandon()) return;
        if (Interlocked.CompareExchange(ref _sendState, 2, 0) == 1) Connection.SendCancel(Id);
    }

    private void OnCancelled(CancellationToken token)
    {
        if (!Connection.TryRemovePending(this)) return;
        CancelOnPeer();
        Disarm();
        Cancelled(token);
    }

    /// <param name="id">The correlation ID the timer found this call under: a pooled call may since have finished and
    /// started again under another ID, which this must not time out.</param>
    public void OnTimeout(ulong id)
    {
        if (!Connection.TryRemovePending(id, this)) return;
        CancelOnPeer();
        Disarm();
        Fail(new TimeoutException(TimeoutMessage));
    }

    /// <summary>The caller gave up (a stream's enumerator disposed early): forget the call and cancel it on the peer.</summary>
    public void Abandon()
    {
        if (!Connection.TryRemovePending(this)) return;
        CancelOnPeer();
        Disarm();
    }

    /// <summary>Releases the token hooks; called once the outcome is known.</summary>
    public void Disarm()
    {
        Interlocked.Exchange(ref _done, 1);
        _cancelRegistration.Dispose();
    }
}

/// <summary>How a response payload turns into a result value.</summary>
internal enum ResultMode { Json, None, RawText }

/// <summary>
/// An outbound call whose caller awaits a <see cref="Task{TResult}"/> (a Task method, an untyped or aggregator call, a ping).
/// The Task must be new for every call; the call object around it is reused for typed calls (<see cref="Rent"/>): it goes
/// back to the pool once both the thread that started the call and the one that completed it are done with it.
/// </summary>
internal sealed class PendingCall<T> : ResultCall<T>, IThreadPoolWorkItem
{
    // The caller's Task, completed through a method builder rather than a TaskCompletionSource: the builder is a struct
    // around the Task alone, so a call allocates the Task (72 B) and not also a TaskCompletionSource (24 B). Its Task runs
    // continuations inline; what RunContinuationsAsynchronously would do, Resume does (_queuesResume). Completed exactly
    // once (ResultCall's TryFinish), as the builder requires.
    private AsyncTaskMethodBuilder<T> _completion;
    private bool _queuesResume; // a resume off the read loop is queued (IThreadPoolWorkItem): the caller's code must not run there
    private CancellationToken _cancelledBy;
    private bool _cancelled;
    private JsonTypeInfo<T>? _typeInfo;
    private ResultMode _mode;
    private readonly bool _pooled;
    private int _owners; // pooled: the starting thread and the completing one; the last to let go returns it

    public PendingCall(IpcConnection connection, ulong id, string description, JsonTypeInfo<T>? typeInfo, ResultMode mode)
        : this(connection, id, description, typeInfo, mode, pooled: false)
    {
    }

    private PendingCall(IpcConnection connection, ulong id, string description, JsonTypeInfo<T>? typeInfo, ResultMode mode, bool pooled)
        : base(connection, id, description)
    {
        _completion = NewCompletion(connection, out _queuesResume);
        _typeInfo = typeInfo;
        _mode = mode;
        _pooled = pooled;
        _owners = 2;
    }

    // Unless the connection runs continuations on its reader thread, a resume off the read loop (a reply on a connection
    // that does not defer, a timeout, a fault) is queued; a connection that defers replies resumes callers inline from its
    // read loop once reading is handed on.
    private static AsyncTaskMethodBuilder<T> NewCompletion(IpcConnection connection, out bool queuesResume)
    {
        queuesResume = !connection.ContinuationsOnReaderThread;
        var completion = AsyncTaskMethodBuilder<T>.Create();
        _ = completion.Task; // made now: SetOutcome completes a copy of the builder, which must hold the same Task
        return completion;
    }

    [ThreadStatic] private static PendingCall<T>? t_spare;
    private static readonly PendingCall<T>?[] s_spares = new PendingCall<T>?[8];

    /// <summary>A typed call (no progress) from the pool; start it with <see cref="IpcConnection"/>'s StartCall, which lets it go.</summary>
    public static PendingCall<T> Rent(IpcConnection connection, ulong id, string description, JsonTypeInfo<T>? typeInfo, ResultMode mode)
    {
        var call = t_spare;
        if (call is not null) t_spare = null;
        else
        {
            for (var i = 0; i < s_spares.Length && call is null; i++)
                call = Interlocked.Exchange(ref s_spares[i], null);
        }
        if (call is null) return new PendingCall<T>(connection, id, description, typeInfo, mode, pooled: true);
        call.Reuse(connection, id, description);
        call._completion = NewCompletion(connection, out call._queuesResume);
        call.ResetOutcome();
        call._typeInfo = typeInfo;
        call._mode = mode;
        call._owners = 2;
        return call;
    }

    public Task<T> Task => _completion.Task;

    /// <summary>
    /// One owner is done with the call: the thread that started it (after its last touch) or the one that completed it
    /// (after setting the Task's outcome, its last touch). Nothing else reaches a completed call (see <see cref="PendingCall.Reuse"/>).
    /// </summary>
    public void LetGo()
    {
        if (!_pooled || Interlocked.Decrement(ref _owners) != 0) return;
        _typeInfo = null;
        _completion = default; // the caller's Task lives on without us
        if (t_spare is null)
        {
            t_spare = this;
            return;
        }
        for (var i = 0; i < s_spares.Length; i++)
        {
            if (Interlocked.CompareExchange(ref s_spares[i], this, null) is null) return;
        }
    }

    /// <summary>The call never started (never registered): nobody else holds it.</summary>
    public void ReturnUnused()
    {
        if (!_pooled) return;
        Volatile.Write(ref _owners, 1);
        LetGo();
    }

    protected override T ReadResult(in ReadOnlySequence<byte> payload, bool binary) => _mode switch
    {
        ResultMode.Json => PayloadJson.ReadItem(payload, binary, _typeInfo!, "result of ", Description),
        ResultMode.RawText => (T)(object)Untyped.RawText.Of(payload, binary),
        _ => default!,
    };

    protected override void StoreCancellation(CancellationToken token)
    {
        Telemetry?.Complete(new OperationCanceledException(token));
        _cancelled = true;
        _cancelledBy = token;
    }

    internal override void Resume(bool inline)
    {
        // Off the read loop a Task that runs continuations inline would run the caller's code inside the deadline timer
        // or Fault: queue it (this object is the work item, no allocation). A cancellation is the exception: its Task is
        // cancelled inside Cancel(), continuations included, as a Task cancelled by its token is elsewhere in .NET (and a
        // caller may check IsCanceled right after Cancel()).
        if (!inline && _queuesResume && !_cancelled)
        {
            ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: true);
            return;
        }
        SetOutcome();
    }

    void IThreadPoolWorkItem.Execute() => SetOutcome();

    private void SetOutcome()
    {
        // Everything is read out first: once let go, a pooled call may be rented again (and the caller's code, run inline
        // by the Task below, may be the one renting it).
        var completion = _completion;
        var cancelled = _cancelled;
        var token = _cancelledBy;
        var (value, error) = TakeOutcome();
        _cancelled = false;
        _cancelledBy = default;
        LetGo();
        // A builder cancels its Task for an OperationCanceledException (and keeps it: awaiting throws that one, as
        // awaiting a Task cancelled by a token throws a TaskCanceledException).
        if (cancelled) completion.SetException(new TaskCanceledException("A task was canceled.", null, token));
        else if (error is not null) completion.SetException(error);
        else completion.SetResult(value);
    }
}
