using System.Buffers;
using System.IO.Pipelines;

namespace IpcContracts.Transports.SharedMemory;

/// <summary>
/// PipeReader over the inbound ring. Bytes are moved from the ring into a private unbounded Pipe on the
/// caller's thread, so the ring is freed at once (a frame larger than the ring still streams through)
/// and no thread hop is added. Reads block while the ring is empty (spin, then futex).
/// </summary>
internal sealed class ShmPipeReader : PipeReader
{
    private readonly ShmConnection _connection;
    private readonly SpscRing _ring;
    private readonly System.IO.Pipelines.Pipe _buffer = new(new PipeOptions(pauseWriterThreshold: 0, readerScheduler: PipeScheduler.Inline,
        writerScheduler: PipeScheduler.Inline, useSynchronizationContext: false));
    private SequencePosition _lastEnd;
    private bool _hasBuffer;
    private bool _examinedAll;
    private int _cancelPending;
    private bool _ringDone;

    // The stop condition of a blocking wait, made once: a lambda capturing the read's token would allocate a closure
    // and a delegate on every read that waits. Only the one reading thread touches _waitToken.
    private readonly Func<bool> _stopWaiting;
    private CancellationToken _waitToken;

    public ShmPipeReader(ShmConnection connection, SpscRing ring)
    {
        _connection = connection;
        _ring = ring;
        _stopWaiting = () => _connection.IsClosing || _waitToken.IsCancellationRequested || Volatile.Read(ref _cancelPending) != 0;
    }

    /// <summary>
    /// Waits (spin, then sleep) until the ring has bytes, the connection closes, <paramref name="cancellationToken"/> is
    /// cancelled or a pending read is cancelled (<see cref="_stopWaiting"/>). Inside the connection's Enter/Exit bracket.
    /// </summary>
    private void WaitForData(CancellationToken cancellationToken)
    {
        _waitToken = cancellationToken;
        _ring.WaitForData(_stopWaiting);
        _waitToken = default;
    }

    public override ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
    {
        while (true)
        {
            if (TryRead(out var result)) return new ValueTask<ReadResult>(result);
            if (cancellationToken.IsCancellationRequested) return ValueTask.FromCanceled<ReadResult>(cancellationToken);
            if (!_connection.Enter()) return new ValueTask<ReadResult>(new ReadResult(default, false, true));
            bool drained;
            try
            {
                WaitForData(cancellationToken);
                // Read inside the bracket: once we leave it, dispose may unmap the segment.
                drained = _connection.IsClosing && _ring.Available == 0;
            }
            finally
            {
                _connection.Exit();
            }
            if (Interlocked.Exchange(ref _cancelPending, 0) != 0) return new ValueTask<ReadResult>(new ReadResult(default, true, false));
            if (drained && !_ringDone)
            {
                _ringDone = true;
                _buffer.Writer.Complete();
                _examinedAll = false;
            }
        }
    }

    /// <summary>
    /// Reads ring bytes straight into <paramref name="destination"/> (<see cref="IDirectReader"/>): only when the core has
    /// consumed everything this reader returned, so the private pipe is empty and the ring holds the next bytes. Blocks
    /// like <see cref="ReadAsync"/> (spin, then sleep), until bytes come, the ring is closed and drained (0), the connection
    /// closes (0) or the token is cancelled.
    /// </summary>
    internal int ReadDirect(Span<byte> destination, CancellationToken cancellationToken)
    {
        while (true)
        {
            if (_ringDone || !_connection.Enter()) return 0;
            try
            {
                var closed = _ring.IsClosed; // closed before available, as in Pull
                var n = _ring.Read(destination);
                if (n > 0) return n;
                if (closed || _connection.IsClosing) return 0;
                cancellationToken.ThrowIfCancellationRequested();
                WaitForData(cancellationToken);
            }
            finally
            {
                _connection.Exit();
            }
            cancellationToken.ThrowIfCancellationRequested();
        }
    }

    /// <summary>
    /// Shows the next unread ring bytes without taking them (<see cref="IPeekingReader"/>): only when the core has consumed
    /// everything this reader returned, so the private pipe is empty and the ring's next byte is the stream's next byte.
    /// With <paramref name="wait"/>, waits like <see cref="ReadAsync"/> (spin, then sleep) while the ring is empty; 0 once it is closed and drained, the
    /// connection closes or a read was cancelled (<see cref="CancelPendingRead"/>: the pipe read that follows reports it).
    /// </summary>
    internal long Peek(Span<byte> destination, bool wait, CancellationToken cancellationToken)
    {
        while (true)
        {
            if (_ringDone || Volatile.Read(ref _cancelPending) != 0 || !_connection.Enter()) return 0;
            try
            {
                var closed = _ring.IsClosed; // closed before available, as in Pull
                var waiting = _ring.Peek(destination);
                if (waiting > 0 || !wait) return waiting;
                if (closed || _connection.IsClosing) return 0;
                cancellationToken.ThrowIfCancellationRequested();
                WaitForData(cancellationToken);
            }
            finally
            {
                _connection.Exit();
            }
            cancellationToken.ThrowIfCancellationRequested();
        }
    }

    public override bool TryRead(out ReadResult result)
    {
        if (_examinedAll || !_hasBuffer)
        {
            if (Pull() > 0 || _ringDone) _examinedAll = false;
        }
        if (!_examinedAll && _buffer.Reader.TryRead(out result))
        {
            if (result.Buffer.IsEmpty && !result.IsCompleted)
            {
                _buffer.Reader.AdvanceTo(result.Buffer.Start);
                result = default;
                return false;
            }
            _hasBuffer = true;
            _lastEnd = result.Buffer.End;
            return true;
        }
        result = default;
        return false;
    }

    /// <summary>Moves every unread byte from the ring into the private pipe; returns how many.</summary>
    private int Pull()
    {
        if (_ringDone || !_connection.Enter()) return 0;
        var total = 0;
        try
        {
            // Everything available is consumed with one release store of tail per span, and the writer is checked once
            // at the end (one full fence per pull, not per span or per frame; SpscRing.WakeWriterIfParked).
            while (true)
            {
                // Closed is read before Available: the producer publishes its last bytes before it closes, so a
                // closed ring with nothing available really is drained (the other order can drop a last frame).
                var closed = _ring.IsClosed;
                var available = _ring.Available;
                if (available <= 0)
                {
                    if (closed && !_ringDone)
                    {
                        _ringDone = true;
                        _buffer.Writer.Complete();
                    }
                    break;
                }
                var span = _buffer.Writer.GetSpan((int)Math.Min(available, 256 * 1024));
                var n = _ring.Consume(span);
                _buffer.Writer.Advance(n);
                total += n;
            }
            if (total > 0) _ring.WakeWriterIfParked();
        }
        finally
        {
            _connection.Exit();
        }
        if (total > 0) _ = _buffer.Writer.FlushAsync(); // completes synchronously: no pause threshold
        return total;
    }

    public override void AdvanceTo(SequencePosition consumed) => AdvanceTo(consumed, consumed);

    public override void AdvanceTo(SequencePosition consumed, SequencePosition examined)
    {
        _buffer.Reader.AdvanceTo(consumed, examined);
        // Everything seen and nothing new: the next read must wait for more bytes.
        _examinedAll = examined.Equals(_lastEnd);
        _hasBuffer = false;
    }

    public override void CancelPendingRead()
    {
        Volatile.Write(ref _cancelPending, 1);
        if (!_connection.Enter()) return;
        try { _ring.WakeConsumer(); }
        finally { _connection.Exit(); }
    }

    public override void Complete(Exception? exception = null) => _buffer.Reader.Complete(exception);
}
