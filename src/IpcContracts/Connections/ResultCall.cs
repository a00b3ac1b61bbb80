using System.Buffers;

namespace IpcContracts.Connections;

/// <summary>
/// A call that ends in one result (or error): how its outcome is decided, for the Task kind (<see cref="PendingCall{T}"/>)
/// and the ValueTask kind (<see cref="PooledCall{T}"/>) alike. Whoever finishes the call first (reply, error, cancellation,
/// timeout, fault) stores the outcome and hands it to <see cref="PendingCall.Deliver"/>; the subclass resumes the caller
/// with it in <see cref="PendingCall.Resume"/>, taking it out with <see cref="TakeOutcome"/>.
/// </summary>
internal abstract class ResultCall<T> : PendingCall
{
    private int _finished;
    private T _value = default!; // the outcome between deciding it and resuming the caller
    private Exception? _error;

    protected ResultCall(IpcConnection connection, ulong id, string description) : base(connection, id, description) { }

    /// <summary>A pooled call starting again: no outcome yet.</summary>
    protected void ResetOutcome() => _finished = 0;

    /// <summary>Exactly one outcome per call, even if two paths race (a Launch that lost a race with a fault).</summary>
    private bool TryFinish() => Interlocked.Exchange(ref _finished, 1) == 0;

    /// <summary>The result value of a Response payload; throws when it cannot be read (the call then fails with that).</summary>
    protected abstract T ReadResult(in ReadOnlySequence<byte> payload, bool binary);

    /// <summary>Stores the outcome of a cancellation by <paramref name="token"/> and reports it to the call's telemetry.</summary>
    protected abstract void StoreCancellation(CancellationToken token);

    /// <summary>Stores <paramref name="error"/> as the outcome (a subclass's cancellation may be one).</summary>
    protected void StoreError(Exception error) => _error = error;

    /// <summary>The stored value and error, cleared: the object may be reused once the caller has them.</summary>
    protected (T Value, Exception? Error) TakeOutcome()
    {
        var outcome = (_value, _error);
        _value = default!;
        _error = null;
        return outcome;
    }

    public sealed override void Complete(in ReadOnlySequence<byte> payload, bool binary)
    {
        Disarm();
        T value;
        try
        {
            value = ReadResult(payload, binary);
        }
        catch (Exception e)
        {
            Fail(e);
            return;
        }
        if (!TryFinish()) return;
        Telemetry?.Complete(null);
        _value = value;
        Deliver();
    }

    public sealed override void Fail(Exception error)
    {
        Disarm();
        if (!TryFinish()) return;
        Telemetry?.Complete(error);
        _error = error;
        Deliver();
    }

    protected sealed override void Cancelled(CancellationToken token)
    {
        if (!TryFinish()) return;
        StoreCancellation(token);
        Deliver();
    }
}
