using System.Buffers;
using System.IO.Pipelines;

namespace IpcContracts.Transports.SharedMemory;

/// <summary>
/// PipeReader over the inbound ring. Bytes are moved from the ring into a private buffer on the caller's thread, so the
/// ring is freed at once (a frame larger than the ring still streams through) and no thread hop is added. Reads block
/// while the ring is empty (spin, then futex).
/// </summary>
/// <remarks>
/// The private buffer is one pooled array holding the unconsumed bytes contiguously, not a <see cref="System.IO.Pipelines.Pipe"/>:
/// only the read loop's thread uses it, so it needs no lock, and a read costs no segment taken from and handed back to a
/// pool. With a Pipe, every 64 B round trip took a segment, three locks and the Pipe's bookkeeping on each side
/// (docs/benchmarks.md, "shm round trip and events: what costs the most", and "Sessions 10 and 11" for the array's return: its
/// 24 MiB regression in session 8 was the receiver's page faults, not the array). The array grows (doubling) while a frame
/// larger than it arrives; once it is empty, an array grown past <see cref="KeptBuffer"/> is given back, so an idle
/// connection holds at most that.
/// </remarks>
internal sealed class ShmPipeReader : PipeReader
{
    /// <summary>Bytes of the private buffer while no large frame is arriving: a ring's worth of small frames fits it many times.</summary>
    internal const int InitialBuffer = 64 * 1024;

    /// <summary>
    /// A grown array up to this size is kept when it empties: a stream's 256 KiB chunk frames then grow it once, not once
    /// per chunk. A larger one (a large JSON frame) is given back once drained.
    /// </summary>
    internal const int KeptBuffer = 1024 * 1024;

    private readonly ShmConnection _connection;
    private readonly SpscRing _ring;
    private byte[] _buffer = ArrayPool<byte>.Shared.Rent(InitialBuffer);
    private int _start; // first unconsumed byte of _buffer
    private int _end;   // one past the last byte pulled from the ring
    private bool _hasBuffer;
    private bool _examinedAll;
    private int _cancelPending;
    private bool _ringDone;
    private bool _completed;

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
                _examinedAll = false;
            }
        }
    }

    /// <summary>
    /// Reads ring bytes straight into <paramref name="destination"/> (<see cref="IDirectReader"/>): only when the core has
    /// consumed everything this reader returned, so the private buffer is empty and the ring holds the next bytes. Blocks
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
    /// everything this reader returned, so the private buffer is empty and the ring's next byte is the stream's next byte.
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

    /// <summary>Length of the private buffer's array now (for tests: it grows for a large frame and shrinks once drained).</summary>
    internal int BufferCapacity => _buffer.Length;

    public override bool TryRead(out ReadResult result)
    {
        if (_completed) throw new InvalidOperationException("Reading is not allowed after the reader was completed.");
        if (_examinedAll || !_hasBuffer)
        {
            if (Pull() > 0 || _ringDone) _examinedAll = false;
        }
        if (!_examinedAll && (_end > _start || _ringDone))
        {
            _hasBuffer = true;
            result = new ReadResult(new ReadOnlySequence<byte>(_buffer, _start, _end - _start), isCanceled: false, isCompleted: _ringDone);
            return true;
        }
        result = default;
        return false;
    }

    /// <summary>Moves unread bytes from the ring into the private buffer, as many as are there and fit; returns how many.</summary>
    /// <remarks>Only called when the caller holds no returned buffer (after <see cref="AdvanceTo(SequencePosition, SequencePosition)"/>
    /// or before the first read), so the unconsumed bytes may be moved.</remarks>
    private int Pull()
    {
        if (_ringDone || !_connection.Enter()) return 0;
        var total = 0;
        try
        {
            // What is available (up to the array's free space) is consumed with one release store of tail per span, and the
            // writer is checked once at the end (one full fence per pull, not per span or per frame; SpscRing.WakeWriterIfParked).
            while (true)
            {
                // Closed is read before Available: the producer publishes its last bytes before it closes, so a
                // closed ring with nothing available really is drained (the other order can drop a last frame).
                var closed = _ring.IsClosed;
                var available = _ring.Available;
                if (available <= 0)
                {
                    if (closed) _ringDone = true;
                    break;
                }
                // The array is made larger only when it is full, and a pull stops when it is full: a frame streaming in
                // while we pull would otherwise keep this loop going and grow the array (copying) to the frame's size,
                // where the read loop reads a large binary frame straight into an array of its own after one read.
                if (_end == _buffer.Length) MakeRoom((int)Math.Min(available, 256 * 1024));
                var n = _ring.Consume(_buffer.AsSpan(_end));
                _end += n;
                total += n;
                if (_end == _buffer.Length) break;
            }
            if (total > 0) _ring.WakeWriterIfParked();
        }
        finally
        {
            _connection.Exit();
        }
        return total;
    }

    /// <summary>Makes at least <paramref name="bytes"/> free after <see cref="_end"/>: moves the unconsumed bytes to the front, or grows.</summary>
    private void MakeRoom(int bytes)
    {
        if (_buffer.Length - _end >= bytes) return;
        var unconsumed = _end - _start;
        if (_buffer.Length - unconsumed >= bytes && unconsumed <= _buffer.Length / 2)
        {
            _buffer.AsSpan(_start, unconsumed).CopyTo(_buffer);
        }
        else
        {
            // Doubling: a frame of N bytes arriving in pieces is copied about twice in all while the array grows.
            var bigger = ArrayPool<byte>.Shared.Rent((int)Math.Min(Array.MaxLength, Math.Max(2L * _buffer.Length, (long)unconsumed + bytes)));
            _buffer.AsSpan(_start, unconsumed).CopyTo(bigger);
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = bigger;
        }
        _start = 0;
        _end = unconsumed;
    }

    public override void AdvanceTo(SequencePosition consumed) => AdvanceTo(consumed, consumed);

    public override void AdvanceTo(SequencePosition consumed, SequencePosition examined)
    {
        if (!_hasBuffer)
        {
            // After a cancelled read, or one that found the connection closed: its buffer is empty and its positions are
            // default, so nothing is consumed, and the next read looks at the ring again.
            _examinedAll = false;
            return;
        }
        // The returned sequence is one segment of _buffer, so a position's integer is an index into _buffer (not an offset
        // from the sequence's start: ReadOnlySequence.GetOffset would give that same index, too).
        var consumedAt = consumed.GetObject() is null ? _start : IndexOf(consumed);
        _examinedAll = examined.GetObject() is not null && IndexOf(examined) == _end;
        _start = consumedAt;
        _hasBuffer = false;
        if (_start == _end)
        {
            _start = _end = 0;
            if (_buffer.Length > KeptBuffer) Shrink();
        }
    }

    private int IndexOf(SequencePosition position)
    {
        var index = position.GetInteger();
        if (!ReferenceEquals(position.GetObject(), _buffer) || index < _start || index > _end)
            throw new InvalidOperationException("AdvanceTo: the position is not in the last read buffer.");
        return index;
    }

    /// <summary>Gives back an array grown for a large frame once it is empty (see <see cref="KeptBuffer"/>).</summary>
    private void Shrink()
    {
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = ArrayPool<byte>.Shared.Rent(InitialBuffer);
    }

    public override void CancelPendingRead()
    {
        Volatile.Write(ref _cancelPending, 1);
        if (!_connection.Enter()) return;
        try { _ring.WakeConsumer(); }
        finally { _connection.Exit(); }
    }

    public override void Complete(Exception? exception = null)
    {
        if (_completed) return;
        _completed = true;
        // Not returned to the pool: the reading thread may still be between a read and its AdvanceTo when another thread
        // completes the reader; the array is left to the GC, as the writer's buffer is.
    }
}
