namespace IpcContracts.Runtime;

/// <summary>
/// A read-only, forward-only <see cref="Stream"/> over a stream of byte chunks: what a <c>Stream</c> result or argument
/// of a contract method is on the receiving side. Reading pulls the next chunk (which grants the sender credit); disposing
/// before the end disposes the enumerator, which tells the sender to stop.
/// </summary>
internal sealed class ChunkReadStream : Stream
{
    private readonly IAsyncEnumerator<ReadOnlyMemory<byte>> _chunks;
    private ReadOnlyMemory<byte> _current;
    private Task<bool>? _pendingMove; // a MoveNextAsync whose read was cancelled, still owed to the next read
    private bool _ended;
    private bool _disposed;
    private long _position;

    /// <param name="chunks">The chunks, read once; disposed with the stream.</param>
    /// <param name="hasCurrent">
    /// True or false when the first MoveNextAsync has been awaited already (its result); null when it has not.
    /// </param>
    public ChunkReadStream(IAsyncEnumerator<ReadOnlyMemory<byte>> chunks, bool? hasCurrent)
    {
        _chunks = chunks;
        if (hasCurrent is { } has)
        {
            _ended = !has;
            if (has) _current = chunks.Current;
        }
    }

    public override bool CanRead => !_disposed;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException("A contract stream's length is not known before its end.");
    public override long Position
    {
        get => _position;
        set => throw new NotSupportedException("A contract stream cannot seek.");
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (buffer.Length == 0) return 0;
        while (_current.Length == 0)
        {
            if (_ended) return 0;
            cancellationToken.ThrowIfCancellationRequested();
            // The enumerator's own token (the call's) bounds the wait and a dead peer faults it; this read's token only
            // abandons the wait: the move stays pending and the next read picks it up, so no chunk is lost or skipped.
            bool moved;
            if (_pendingMove is null && !cancellationToken.CanBeCanceled)
                moved = await _chunks.MoveNextAsync().ConfigureAwait(false);
            else
            {
                var move = _pendingMove ??= _chunks.MoveNextAsync().AsTask();
                moved = await move.WaitAsync(cancellationToken).ConfigureAwait(false);
                _pendingMove = null;
            }
            if (!moved)
            {
                _ended = true;
                return 0;
            }
            _current = _chunks.Current;
        }
        var n = Math.Min(buffer.Length, _current.Length);
        _current.Span[..n].CopyTo(buffer.Span);
        _current = _current[n..];
        _position += n;
        return n;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    // Synchronous reads wait for the next chunk on the calling thread, as NetworkStream.Read does; never on a reader thread.
    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var rented = new byte[buffer.Length];
        var n = ReadAsync(rented).AsTask().GetAwaiter().GetResult();
        rented.AsSpan(0, n).CopyTo(buffer);
        return n;
    }

    public override async ValueTask DisposeAsync()
    {
        if (_disposed) return;
        _disposed = true;
        await _chunks.DisposeAsync().ConfigureAwait(false);
        await base.DisposeAsync().ConfigureAwait(false);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_disposed)
        {
            _disposed = true;
            _chunks.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
        base.Dispose(disposing);
    }

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException("A contract stream cannot seek.");
    public override void SetLength(long value) => throw new NotSupportedException("A contract stream is read-only.");
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException("A contract stream is read-only.");
}
