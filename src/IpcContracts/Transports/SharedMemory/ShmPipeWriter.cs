using System.Buffers;
using System.IO.Pipelines;

namespace IpcContracts.Transports.SharedMemory;

/// <summary>
/// PipeWriter into the outbound ring that never blocks its caller. Small writes gather in a pooled buffer and
/// go into the ring on flush; large writes go straight from the caller's memory into the ring. Whatever fits
/// now is copied on the calling thread (the latency path: no hop); when the ring is full, the rest is handed to
/// this connection's writer thread, which waits for the peer to make room, and the flush returns a pending
/// task that completes when the bytes are in. The core's send path waits for that asynchronously, so neither a
/// reader thread nor a caller ever waits for the peer.
/// </summary>
internal sealed class ShmPipeWriter : PipeWriter
{
    private readonly ShmConnection _connection;
    private readonly SpscRing _ring;
    private byte[] _buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
    private int _written;
    private bool _completed;

    // The write the writer thread is finishing (at most one: the core never flushes again before the last one completed):
    // the buffered rest in a pooled buffer of its own (null: none), its length, then the rest of the caller's memory.
    private readonly WriteHandoff<(byte[]? Buffered, int BufferedLength, ReadOnlyMemory<byte> Source), FlushResult> _handoff;
    private readonly Func<bool> _closing;

    public ShmPipeWriter(ShmConnection connection, SpscRing ring)
    {
        _connection = connection;
        _ring = ring;
        _handoff = new("IpcContracts shm writer", FinishWrite);
        _closing = () => _connection.IsClosing; // once per writer, not per wait
    }

    public override void Advance(int bytes) => _written += bytes;

    public override bool CanGetUnflushedBytes => true;

    public override long UnflushedBytes => _written;

    public override Memory<byte> GetMemory(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsMemory(_written);
    }

    public override Span<byte> GetSpan(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsSpan(_written);
    }

    private void Ensure(int sizeHint)
    {
        if (_buffer.Length - _written >= Math.Max(sizeHint, 1)) return;
        var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(_buffer.Length * 2, _written + sizeHint));
        _buffer.AsSpan(0, _written).CopyTo(bigger);
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = bigger;
    }

    public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default) => Push(ReadOnlyMemory<byte>.Empty);

    public override ValueTask<FlushResult> WriteAsync(ReadOnlyMemory<byte> source, CancellationToken cancellationToken = default) => Push(source);

    /// <summary>
    /// Moves the buffered bytes, then <paramref name="source"/>, into the ring: what fits now on this thread (after a
    /// bounded spin when the ring is full and the consumer is draining it), the rest on the writer thread.
    /// </summary>
    private ValueTask<FlushResult> Push(ReadOnlyMemory<byte> source)
    {
        if (_completed || !_connection.Enter()) return Failed();
        int buffered = 0, direct = 0;
        try
        {
            // Bounded: at most SharedMemoryOptions.SpinCount polls (what a reader spins before it sleeps), the same
            // latency path as before, but never a sleep waiting for the peer: past the spin the writer thread takes over.
            // The buffered frames and the direct bytes are published first and the reader is checked once after both
            // (one full fence per flush, however many frames the flush carries; SpscRing.WakeReaderIfParked says why
            // that is safe): always before this thread pauses, hands the rest over or returns.
            var spinLimit = _ring.SpinCount;
            for (var spin = 0; ; spin++)
            {
                var published = WriteNow(_buffer.AsSpan(buffered, _written - buffered));
                buffered += published;
                if (buffered == _written)
                {
                    var n = WriteNow(source.Span[direct..]);
                    direct += n;
                    published += n;
                }
                if (published > 0) _ring.WakeReaderIfParked();
                if ((buffered == _written && direct == source.Length) || spin >= spinLimit || _connection.IsClosing) break;
                // A piece went in (SpscRing moves at most a quarter of the ring at once): the next may fit at once.
                if (published == 0) SpscRing.Pause(spin);
            }
        }
        finally
        {
            _connection.Exit();
        }
        if (buffered == _written && direct == source.Length)
        {
            _written = 0;
            return default;
        }
        // The ring stays full: the writer thread takes over. The buffered rest moves into a buffer of its own so GetSpan
        // may be used again once this write completes; the caller keeps `source` alive until then (PipeWriter contract).
        var restLength = _written - buffered;
        byte[]? rest = null;
        if (restLength > 0)
        {
            rest = ArrayPool<byte>.Shared.Rent(restLength);
            _buffer.AsSpan(buffered, restLength).CopyTo(rest);
        }
        _written = 0;
        if (_handoff.TryHandOver((rest, restLength, source[direct..]), out var token)) return new ValueTask<FlushResult>(_handoff, token);
        if (rest is not null) ArrayPool<byte>.Shared.Return(rest); // stopped: an earlier write failed, or the writer completed
        return WriteFailed();
    }

    private int WriteNow(ReadOnlySpan<byte> bytes) => _ring.Publish(bytes);

    /// <summary>The writer thread: waits (spin, then futex) for ring space and writes the rest of one write.</summary>
    private FlushResult FinishWrite((byte[]? Buffered, int BufferedLength, ReadOnlyMemory<byte> Source) write)
    {
        try
        {
            var ok = _connection.Enter();
            if (ok)
            {
                try
                {
                    ok = (write.Buffered is null || _ring.Write(write.Buffered.AsSpan(0, write.BufferedLength), _closing))
                        && _ring.Write(write.Source.Span, _closing);
                }
                catch (Exception)
                {
                    ok = false;
                }
                finally
                {
                    _connection.Exit();
                }
            }
            if (!ok)
            {
                _handoff.Stop(); // the stream of frames is broken: every later write fails at once
                throw WriteFailedError();
            }
            return new FlushResult(isCanceled: false, isCompleted: false);
        }
        finally
        {
            if (write.Buffered is not null) ArrayPool<byte>.Shared.Return(write.Buffered);
        }
    }

    private IOException WriteFailedError() => new($"The shared-memory connection to {_connection.PeerDescription} closed before a write could finish.");

    private ValueTask<FlushResult> WriteFailed() => ValueTask.FromException<FlushResult>(WriteFailedError());

    private ValueTask<FlushResult> Failed() =>
        ValueTask.FromException<FlushResult>(new IOException($"The shared-memory connection to {_connection.PeerDescription} is closed."));

    public override void CancelPendingFlush() { }

    public override void Complete(Exception? exception = null)
    {
        if (_completed) return;
        _completed = true;
        _handoff.Stop();
        if (_connection.Enter())
        {
            try { _ring.Close(); }
            finally { _connection.Exit(); }
        }
        // Not returned to the pool: a send still finishing on another thread may hold a span of it.
        _buffer = [];
    }
}
