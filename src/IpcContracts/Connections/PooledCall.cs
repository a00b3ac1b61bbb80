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
internal sealed class PooledCall<T> : PendingCall, IValueTaskSource<T>, IValueTaskSource
{
    private ManualResetValueTaskSourceCore<T> _core;
    private JsonTypeInfo<T>? _typeInfo;
    private int _finished;

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
        call._finished = 0;
        // Without inline continuations the reader thread only queues the caller's continuation (no allocation for an
        // async method's continuation), as RunContinuationsAsynchronously does for a Task.
        call._core.RunContinuationsAsynchronously = !connection.ContinuationsOnReaderThread;
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

    /// <summary>Exactly one outcome per call, even if two paths race (the pending table already makes that so).</summary>
    private bool TryFinish() => Interlocked.Exchange(ref _finished, 1) == 0;

    public override void Complete(in ReadOnlySequence<byte> payload, bool binary)
    {
        Disarm();
        T value;
        try
        {
            value = _typeInfo is null ? default! : PayloadJson.ReadItem(payload, binary, _typeInfo, "result of ", Description);
        }
        catch (Exception e)
        {
            Fail(e);
            return;
        }
        if (!TryFinish()) return;
        Settle(value, null);
    }

    public override void Fail(Exception error)
    {
        Disarm();
        if (!TryFinish()) return;
        Settle(default!, error);
    }

    protected override void Cancelled(CancellationToken token)
    {
        if (!TryFinish()) return;
        // What awaiting a cancelled Task throws, so a ValueTask method fails as it did when it wrapped a Task.
        Settle(default!, new TaskCanceledException("A task was canceled.", null, token));
    }

    // The outcome stored while the Request is still being written from the caller's memory (PublishStored).
    private T _value = default!;
    private Exception? _error;

    private void Settle(T value, Exception? error)
    {
        if (IsBorrowing)
        {
            (_value, _error) = (value, error);
            if (!MayPublish()) return; // parked: PublishStored runs once the write has ended
            (value, error) = (_value, _error);
            (_value, _error) = (default!, null);
        }
        Publish(value, error);
    }

    protected override void PublishStored()
    {
        var (value, error) = (_value, _error);
        (_value, _error) = (default!, null);
        Publish(value, error);
    }

    private void Publish(T value, Exception? error)
    {
        Telemetry?.Complete(error);
        if (error is null) _core.SetResult(value); // last: the caller may reuse this object from here on
        else _core.SetException(error);
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
