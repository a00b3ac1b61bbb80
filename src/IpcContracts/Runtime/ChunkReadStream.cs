namespace IpcContracts.Runtime;

/// <summary>
/// A read-only, forward-only <see cref="Stream"/> over a stream of byte chunks: what a <c>Stream</c> result or argument
/// of a contract method is on the receiving side. Reading pulls the next chunk (which grants the sender credit); disposing
/// before the end disposes the enumerator, which tells the sender to stop. It is done with a chunk once it asks for the
/// next one (it never touches <c>_current</c> after that), so the receiving side lends chunks from a pool
/// (<see cref="Connections.IChunkLender"/>): no array per chunk.
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
            if (!await MoveAsync(cancellationToken).ConfigureAwait(false)) return 0;
        }
        return Take(buffer.Span);
    }

    /// <summary>
    /// Waits for the next chunk (true) or the end. The enumerator's own token (the call's) bounds the wait and a dead peer
    /// faults it; <paramref name="cancellationToken"/> only abandons the wait: the move stays pending and the next read
    /// picks it up, so no chunk is lost or skipped.
    /// </summary>
    private async ValueTask<bool> MoveAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        bool moved;
        if (_pendingMove is null && !cancellationToken.CanBeCanceled)
            moved = await _chunks.MoveNextAsync().ConfigureAwait(false);
        else
        {
            var move = _pendingMove ??= _chunks.MoveNextAsync().AsTask();
            moved = await move.WaitAsync(cancellationToken).ConfigureAwait(false);
            _pendingMove = null;
        }
        return Moved(moved);
    }

    /// <summary>
    /// Writes each chunk to <paramref name="destination"/> as it is (a lent chunk included: it is taken back only when the
    /// next one is asked for, after the write has completed), instead of copying it through a buffer of
    /// <paramref name="bufferSize"/> as <see cref="Stream.CopyToAsync(Stream, int, CancellationToken)"/> would.
    /// </summary>
    public override async Task CopyToAsync(Stream destination, int bufferSize, CancellationToken cancellationToken)
    {
        ValidateCopyToArguments(destination, bufferSize);
        ObjectDisposedException.ThrowIf(_disposed, this);
        while (true)
        {
            if (_current.Length > 0)
            {
                await destination.WriteAsync(_current, cancellationToken).ConfigureAwait(false);
                _position += _current.Length;
                _current = default;
            }
            if (_ended || !await MoveAsync(cancellationToken).ConfigureAwait(false)) return;
        }
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    /// <summary>
    /// Waits for the next chunk on the calling thread, as NetworkStream.Read does, bounded like ReadAsync by the call's
    /// deadline and token. Never on a thread that is handling frames (a handler's synchronous part, a continuation run
    /// inline by the reader): the chunk it would wait for can only come through that same thread, so it throws there
    /// instead of hanging the connection, and the move it started is kept for the next read.
    /// </summary>
    public override int Read(Span<byte> buffer)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (buffer.Length == 0) return 0;
        while (_current.Length == 0)
        {
            if (_ended) return 0;
            var move = _pendingMove ?? _chunks.MoveNextAsync().AsTask();
            if (!move.IsCompleted && IpcConnection.IsHandlingFrames)
            {
                _pendingMove = move;
                throw new InvalidOperationException(
                    "A contract stream was read synchronously on the thread that reads the connection's frames, and its next bytes " +
                    "can only arrive through that thread; read it with ReadAsync (or CopyToAsync), or from another thread.");
            }
            _pendingMove = null;
            if (!Moved(move.GetAwaiter().GetResult())) return 0;
        }
        return Take(buffer);
    }

    /// <summary>Takes the result of a move: the next chunk, or the end.</summary>
    private bool Moved(bool moved)
    {
        if (!moved)
        {
            _ended = true;
            return false;
        }
        _current = _chunks.Current;
        return true;
    }

    private int Take(Span<byte> buffer)
    {
        var n = Math.Min(buffer.Length, _current.Length);
        _current.Span[..n].CopyTo(buffer);
        _current = _current[n..];
        _position += n;
        return n;
    }

    public override async ValueTask DisposeAsync()
    {
        if (_disposed) return;
        _disposed = true;
        _current = default; // a lent chunk goes back to the pool with the enumerator's disposal
        await _chunks.DisposeAsync().ConfigureAwait(false);
        await base.DisposeAsync().ConfigureAwait(false);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_disposed)
        {
            _disposed = true;
            _current = default; // a lent chunk goes back to the pool with the enumerator's disposal
            // Never waits: Dispose may run on the thread that reads frames. The runtime's enumerators dispose
            // synchronously; any other finishes in the background, its failure observed there.
            var disposal = _chunks.DisposeAsync();
            if (disposal.IsCompleted) disposal.GetAwaiter().GetResult();
            else disposal.AsTask().ContinueWith(static t => _ = t.Exception, CancellationToken.None,
                TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
        base.Dispose(disposing);
    }

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException("A contract stream cannot seek.");
    public override void SetLength(long value) => throw new NotSupportedException("A contract stream is read-only.");
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException("A contract stream is read-only.");
}
