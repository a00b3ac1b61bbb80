using System.Buffers;
using System.Text.Json.Serialization.Metadata;
using System.Threading.Tasks.Sources;

namespace IpcContracts.Connections;

/// <summary>
/// An outbound call of a contract method that returns <see cref="ValueTask{TResult}"/> or <see cref="ValueTask"/>: the
/// caller awaits this object itself (<see cref="IValueTaskSource{TResult}"/>), and once the caller has read the result it
/// goes back to a small pool for the next call. A warm call then allocates nothing of its own: no
/// <see cref="TaskCompletionSource{TResult}"/>, no <see cref="Task{TResult}"/>, no call object. (A method returning
/// <see cref="Task{TResult}"/> must hand out a new Task per call; it uses <see cref="PendingCall{T}"/>.)
/// </summary>
/// <remarks>
/// Reuse is safe because a call is completed exactly once, by whoever removed it from the connection's pending table
/// (reply, error, cancellation, timeout, fault), and setting the result is the last thing each of them does with it; the
/// caller can only read the result after that, and only then is the object reset. As with every
/// <see cref="ValueTask{TResult}"/>, awaiting it twice is a caller's bug (the second await throws
/// <see cref="InvalidOperationException"/> or sees a later call).
/// </remarks>
internal sealed class PooledCall<T> : ResultCall<T>, IValueTaskSource<T>, IValueTaskSource
{
    private ManualResetValueTaskSourceCore<T> _core;
    private JsonTypeInfo<T>? _typeInfo;

    private PooledCall(IpcConnection connection, ulong id, string description) : base(connection, id, description) { }

    // The thread that reads a result usually makes the next call (a caller's loop): one slot per thread, then a few shared.
    [ThreadStatic] private static PooledCall<T>? t_spare;
    private static readonly PooledCall<T>?[] s_spares = new PooledCall<T>?[8];

    /// <summary>A call with a fresh correlation ID; <paramref name="typeInfo"/> null for a method without a result.</summary>
    public static PooledCall<T> Rent(IpcConnection connection, ulong id, string description, JsonTypeInfo<T>? typeInfo)
    {
        var call = t_spare;
        if (call is not null) t_spare = null;
        else
        {
            for (var i = 0; i < s_spares.Length && call is null; i++)
                call = Interlocked.Exchange(ref s_spares[i], null);
        }
        if (call is null) call = new PooledCall<T>(connection, id, description);
        else call.Reuse(connection, id, description);
        call._typeInfo = typeInfo;
        call.ResetOutcome();
        return call;
    }

    /// <summary>What the proxy returns; valid until the caller has read the result.</summary>
    public ValueTask<T> Result => new(this, _core.Version);

    /// <summary>As <see cref="Result"/>, for a method without a result value.</summary>
    public ValueTask Done => new(this, _core.Version);

    /// <summary>The call never started (its Request could not be built): nobody holds it, so it goes straight back.</summary>
    public void ReturnUnused()
    {
        _core.Reset();
        Return();
    }

    private void Return()
    {
        _typeInfo = null;
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

    protected override T ReadResult(in ReadOnlySequence<byte> payload, bool binary) =>
        _typeInfo is null ? default! : PayloadJson.ReadItem(payload, binary, _typeInfo, "result of ", Description);

    protected override void StoreCancellation(CancellationToken token)
    {
        // What awaiting a cancelled Task throws, so a ValueTask method fails as it did when it wrapped a Task.
        var cancelled = new TaskCanceledException("A task was canceled.", null, token);
        Telemetry?.Complete(cancelled);
        StoreError(cancelled);
    }

    internal override void Resume(bool inline)
    {
        // Not inline: the thread that decided only queues the caller's continuation (no allocation for an async method's
        // continuation), as RunContinuationsAsynchronously does for a Task, unless the connection runs continuations on
        // its reader thread.
        _core.RunContinuationsAsynchronously = !inline && !Connection.ContinuationsOnReaderThread;
        var (value, error) = TakeOutcome();
        if (error is not null) _core.SetException(error);
        else _core.SetResult(value); // last: the caller may reuse this object from here on
    }

    public T GetResult(short token)
    {
        // A read with a stale token or before completion is a caller's bug: let the core throw, keep the object out of the pool.
        if (token != _core.Version || _core.GetStatus(token) == ValueTaskSourceStatus.Pending) return _core.GetResult(token);
        try
        {
            return _core.GetResult(token);
        }
        finally
        {
            _core.Reset();
            Return();
        }
    }

    void IValueTaskSource.GetResult(short token) => GetResult(token);

    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);
}
