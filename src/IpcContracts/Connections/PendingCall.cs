using System.Buffers;
using System.Text;
using System.Text.Json.Serialization.Metadata;
using IpcContracts.Protocol;

namespace IpcContracts.Connections;

/// <summary>An outbound request waiting for its Response or Error, matched by correlation ID.</summary>
internal abstract class PendingCall
{
    private CancellationTokenRegistration _cancelRegistration;

    protected PendingCall(IpcConnection connection, ulong id, string description)
    {
        Connection = connection;
        Id = id;
        Description = description;
    }

    public IpcConnection Connection { get; }
    public ulong Id { get; }

    /// <summary>True for a Ping, which only a Pong may complete (and a Pong nothing else).</summary>
    public bool IsPing { get; init; }

    /// <summary>"contract.method", for error messages.</summary>
    public string Description { get; }

    /// <summary>Client span and metrics of the call; null when nobody listens.</summary>
    public Diagnostics.CallTelemetry? Telemetry { get; set; }

    /// <summary>Where the handler's progress reports go; null when the caller passed no IProgress.</summary>
    public IProgressSink? Progress { get; init; }

    /// <summary>The Response (or Pong); <paramref name="binary"/>: the frame has the Binary flag (raw bytes, not JSON).</summary>
    public abstract void Complete(in ReadOnlySequence<byte> payload, bool binary);
    public abstract void Fail(Exception error);
    protected abstract void Cancelled(CancellationToken token);

    /// <summary>Environment.TickCount64 at which the call times out; 0 for none. The connection's deadline timer checks it.</summary>
    public long DeadlineTicks
    {
        get => Volatile.Read(ref _deadlineTicks);
        private set => Volatile.Write(ref _deadlineTicks, value);
    }

    private long _deadlineTicks;

    /// <summary>A stream waits for its next item at most this long; 0 disarms (the consumer is not waiting).</summary>
    protected void SetDeadline(long ticks) => DeadlineTicks = ticks;

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
        if (!timeout.IsInfinite) DeadlineTicks = timeout.DeadlineFromNow();
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
        if (Interlocked.CompareExchange(ref _sendState, 2, 0) == 1) Connection.SendCancel(Id);
    }

    private void OnCancelled(CancellationToken token)
    {
        if (!Connection.TryRemovePending(this)) return;
        CancelOnPeer();
        Disarm();
        Cancelled(token);
    }

    public void OnTimeout()
    {
        if (!Connection.TryRemovePending(this)) return;
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

internal sealed class PendingCall<T> : PendingCall
{
    private readonly TaskCompletionSource<T> _completion;
    private readonly JsonTypeInfo<T>? _typeInfo;
    private readonly ResultMode _mode;

    public PendingCall(IpcConnection connection, ulong id, string description, JsonTypeInfo<T>? typeInfo, ResultMode mode)
        : base(connection, id, description)
    {
        _completion = new(connection.ContinuationsOnReaderThread ? TaskCreationOptions.None : TaskCreationOptions.RunContinuationsAsynchronously);
        _typeInfo = typeInfo;
        _mode = mode;
    }

    public Task<T> Task => _completion.Task;

    public override void Complete(in ReadOnlySequence<byte> payload, bool binary)
    {
        Disarm();
        try
        {
            T value = _mode switch
            {
                ResultMode.Json => PayloadJson.ReadItem(payload, binary, _typeInfo!, "result of ", Description),
                // An untyped caller reads JSON text; a binary result becomes what byte[] is in JSON, a base64 string.
                ResultMode.RawText when binary => (T)(object)System.Text.Json.JsonSerializer.Serialize(payload.ToArray(), Serialization.BuiltInJson.Default.ByteArray),
                ResultMode.RawText => (T)(object)(payload.IsEmpty ? "null" : Encoding.UTF8.GetString(payload)),
                _ => default!,
            };
            Telemetry?.Complete(null);
            _completion.TrySetResult(value);
        }
        catch (Exception e)
        {
            Telemetry?.Complete(e);
            _completion.TrySetException(e);
        }
    }

    public override void Fail(Exception error)
    {
        Disarm();
        Telemetry?.Complete(error);
        _completion.TrySetException(error);
    }

    protected override void Cancelled(CancellationToken token)
    {
        Telemetry?.Complete(new OperationCanceledException(token));
        _completion.TrySetCanceled(token);
    }
}
