using System.Text.Json.Serialization.Metadata;
using System.Threading.Tasks.Sources;

namespace IpcContracts.Runtime;

/// <summary>
/// The reply of a request whose handler had not finished when the dispatcher returned: waits for the handler's task,
/// replies with its result, then completes the ValueTask the dispatcher returned (which the connection observes once).
/// One object per <see cref="InboundCall"/> and result type, reused for every request that call object carries: an
/// async method here took a state machine box per call, and the runtime's pool for such boxes misses whenever the
/// thread that finishes a box is not the one that starts the next (the reader starts, a pool thread finishes).
/// </summary>
internal abstract class ReplyLaterBase : IValueTaskSource
{
    private ManualResetValueTaskSourceCore<bool> _done; // continuations inline: the connection's observer runs right here

    protected ReplyLaterBase(InboundCall call)
    {
        Call = call;
        OnHandlerDone = HandlerDone;
    }

    protected InboundCall Call { get; }

    /// <summary>The cached continuation given to the handler's task.</summary>
    protected Action OnHandlerDone { get; }

    /// <summary>
    /// The dispatch's ValueTask once the handler's task is registered; a task that had already finished (faulted or
    /// cancelled: a successful one takes the generated fast path) is answered here and now, as an await of a completed
    /// task would, not after a hop through the thread pool: a handler that throws at once is answered on the reader's
    /// thread, and a starved pool cannot hold its reply back.
    /// </summary>
    protected ValueTask Started(bool completed)
    {
        if (!completed) return new ValueTask(this, _done.Version);
        try
        {
            Reply();
        }
        catch (Exception e)
        {
            return ValueTask.FromException(e); // the connection fails the request with it, inline
        }
        return default;
    }

    protected void Reset() => _done.Reset();

    /// <summary>Reads the handler's outcome and replies with it; throws what the handler threw.</summary>
    protected abstract void Reply();

    private void HandlerDone()
    {
        try
        {
            Reply();
        }
        catch (Exception e)
        {
            _done.SetException(e); // the connection fails the request with it
            return;
        }
        // Last: the observer may recycle the call object, and this one with it, for the next request.
        _done.SetResult(true);
    }

    void IValueTaskSource.GetResult(short token) => _done.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _done.GetStatus(token);

    void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _done.OnCompleted(continuation, state, token, flags);
}

/// <summary>A handler with no result (Task, ValueTask).</summary>
internal sealed class ReplyLater(InboundCall call) : ReplyLaterBase(call)
{
    private ValueTask _task;

    public ValueTask Start(ValueTask task)
    {
        _task = task;
        if (task.IsCompleted) return Started(completed: true);
        Reset();
        task.ConfigureAwait(false).GetAwaiter().UnsafeOnCompleted(OnHandlerDone);
        return Started(completed: false);
    }

    protected override void Reply()
    {
        var task = _task;
        _task = default;
        task.GetAwaiter().GetResult(); // exactly once: a pooled ValueTask may be reused after this
        Call.ReplyEmpty();
    }
}

/// <summary>A handler with a result (Task&lt;T&gt;, ValueTask&lt;T&gt;).</summary>
internal sealed class ReplyLater<T>(InboundCall call) : ReplyLaterBase(call)
{
    private ValueTask<T> _task;
    private JsonTypeInfo<T>? _typeInfo;

    public ValueTask Start(ValueTask<T> task, JsonTypeInfo<T> typeInfo)
    {
        _task = task;
        _typeInfo = typeInfo;
        if (task.IsCompleted) return Started(completed: true);
        Reset();
        task.ConfigureAwait(false).GetAwaiter().UnsafeOnCompleted(OnHandlerDone);
        return Started(completed: false);
    }

    protected override void Reply()
    {
        var task = _task;
        var typeInfo = _typeInfo!;
        _task = default;
        _typeInfo = null;
        Call.Reply(task.GetAwaiter().GetResult(), typeInfo);
    }
}
