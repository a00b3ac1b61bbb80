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
    private readonly object _gate = new();
    private byte[] _buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
    private int _written;
    private bool _completed;

    // The write the writer thread is finishing (at most one: the core never flushes again before the last one completed).
    private Thread? _thread;
    private Job? _job;
    private bool _stop;

    public ShmPipeWriter(ShmConnection connection, SpscRing ring)
    {
        _connection = connection;
        _ring = ring;
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

    /// <summary>Moves the buffered bytes, then <paramref name="source"/>, into the ring: synchronously what fits, the rest on the writer thread.</summary>
    private ValueTask<FlushResult> Push(ReadOnlyMemory<byte> source)
    {
        if (_completed || !_connection.Enter()) return Failed();
        int buffered, direct;
        try
        {
            buffered = WriteNow(_buffer.AsSpan(0, _written));
            direct = buffered == _written ? WriteNow(source.Span) : 0;
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
        // The ring is full. The buffered rest moves into a buffer of its own so GetSpan may be used again once
        // this write completes; the caller keeps `source` alive until then (PipeWriter contract).
        byte[]? rest = null;
        var restLength = _written - buffered;
        if (restLength > 0)
        {
            rest = ArrayPool<byte>.Shared.Rent(restLength);
            _buffer.AsSpan(buffered, restLength).CopyTo(rest);
        }
        _written = 0;
        var job = new Job(rest, restLength, source[direct..]);
        lock (_gate)
        {
            if (_stop)
            {
                job.Finish(false);
                return new ValueTask<FlushResult>(job.Completion.Task);
            }
            _job = job;
            if (_thread is null)
            {
                _thread = new Thread(static s => ((ShmPipeWriter)s!).WriterLoop()) { IsBackground = true, Name = "IpcContracts shm writer" };
                _thread.UnsafeStart(this);
            }
            else Monitor.Pulse(_gate);
        }
        return new ValueTask<FlushResult>(job.Completion.Task);
    }

    private int WriteNow(ReadOnlySpan<byte> bytes) => bytes.IsEmpty ? 0 : _ring.TryWrite(bytes);

    /// <summary>The writer thread: waits (spin, then futex) for ring space on behalf of one pending write at a time.</summary>
    private void WriterLoop()
    {
        while (true)
        {
            Job? job;
            lock (_gate)
            {
                while (_job is null && !_stop) Monitor.Wait(_gate);
                job = _job;
                _job = null;
                if (job is null) return; // stopped
            }
            var ok = _connection.Enter();
            if (ok)
            {
                try
                {
                    ok = (job.Rest is null || _ring.Write(job.Rest.AsSpan(0, job.RestLength), () => _connection.IsClosing))
                        && _ring.Write(job.Source.Span, () => _connection.IsClosing);
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
            job.Finish(ok);
            if (!ok)
            {
                lock (_gate) _stop = true;
            }
        }
    }

    private ValueTask<FlushResult> Failed() =>
        ValueTask.FromException<FlushResult>(new IOException($"The shared-memory connection to {_connection.PeerDescription} is closed."));

    public override void CancelPendingFlush() { }

    public override void Complete(Exception? exception = null)
    {
        if (_completed) return;
        _completed = true;
        lock (_gate)
        {
            _stop = true;
            Monitor.Pulse(_gate);
        }
        if (_connection.Enter())
        {
            try { _ring.Close(); }
            finally { _connection.Exit(); }
        }
        // Not returned to the pool: a send still finishing on another thread may hold a span of it.
        _buffer = [];
    }

    private sealed class Job(byte[]? rest, int restLength, ReadOnlyMemory<byte> source)
    {
        public byte[]? Rest { get; } = rest;
        public int RestLength { get; } = restLength;
        public ReadOnlyMemory<byte> Source { get; } = source;

        // Continuations run on the thread pool: never on the writer thread, which must go back to waiting.
        public TaskCompletionSource<FlushResult> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Finish(bool ok)
        {
            if (Rest is not null) ArrayPool<byte>.Shared.Return(Rest);
            if (ok) Completion.TrySetResult(new FlushResult(isCanceled: false, isCompleted: false));
            else Completion.TrySetException(new IOException("The shared-memory connection closed before a write could finish."));
        }
    }
}
