using System.Buffers;
using System.IO.Pipelines;

namespace IpcContracts.Transports.SharedMemory;

/// <summary>
/// PipeWriter into the outbound ring. Small writes gather in a pooled buffer and go into the ring on
/// flush; large writes go straight from the caller's memory into the ring in ring-sized pieces.
/// </summary>
internal sealed class ShmPipeWriter : PipeWriter
{
    private readonly ShmConnection _connection;
    private readonly SpscRing _ring;
    private byte[] _buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
    private int _written;
    private bool _completed;

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

    public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
    {
        var ok = Push(_buffer.AsSpan(0, _written));
        _written = 0;
        return ok ? default : Failed();
    }

    public override ValueTask<FlushResult> WriteAsync(ReadOnlyMemory<byte> source, CancellationToken cancellationToken = default)
    {
        if (_written > 0 && !Push(_buffer.AsSpan(0, _written))) return Failed();
        _written = 0;
        return Push(source.Span) ? default : Failed();
    }

    private bool Push(ReadOnlySpan<byte> bytes)
    {
        if (bytes.IsEmpty) return true;
        if (_completed || !_connection.Enter()) return false;
        try
        {
            return _ring.Write(bytes, () => _connection.IsClosing);
        }
        finally
        {
            _connection.Exit();
        }
    }

    private ValueTask<FlushResult> Failed() =>
        ValueTask.FromException<FlushResult>(new IOException($"The shared-memory connection to {_connection.PeerDescription} is closed."));

    public override void CancelPendingFlush() { }

    public override void Complete(Exception? exception = null)
    {
        if (_completed) return;
        _completed = true;
        if (_connection.Enter())
        {
            try { _ring.Close(); }
            finally { _connection.Exit(); }
        }
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = [];
    }
}
