using System.IO.Pipelines;

namespace IpcContracts.Transports.SharedMemory;

/// <summary>
/// One shm connection: a mapped segment with a ring per direction, plus the control channel (a Unix socket, or a
/// Windows named pipe) whose end tells us the peer is gone (a killed process cannot flag that in the segment itself).
/// </summary>
internal sealed class ShmConnection : ITransportConnection, IPeekingReader
{
    private readonly Segment _segment;
    private readonly Stream _control;
    private readonly SpscRing _inbound;
    private readonly SpscRing _outbound;
    private readonly ShmPipeReader _reader;
    private readonly ShmPipeWriter _writer;
    private readonly Task _controlWatch;
    private int _inUse;
    private int _peerGone;
    private int _disposed;

    public ShmConnection(Segment segment, int ringSize, bool isServer, Stream control, int spinCount, string peerDescription)
    {
        _segment = segment;
        _control = control;
        PeerDescription = peerDescription;
        // Ring 0 carries client-to-server bytes, ring 1 server-to-client.
        _inbound = new SpscRing(segment, isServer ? 0 : 1, ringSize, spinCount);
        _outbound = new SpscRing(segment, isServer ? 1 : 0, ringSize, spinCount);
        _reader = new ShmPipeReader(this, _inbound);
        _writer = new ShmPipeWriter(this, _outbound);
        _controlWatch = WatchControlAsync();
    }

    public PipeReader Input => _reader;

    /// <inheritdoc />
    public ValueTask<int> ReadDirectAsync(Memory<byte> destination, CancellationToken cancellationToken) =>
        new(_reader.ReadDirect(destination.Span, cancellationToken));

    /// <inheritdoc />
    public long Peek(Span<byte> destination, bool wait, CancellationToken cancellationToken) => _reader.Peek(destination, wait, cancellationToken);
    public PipeWriter Output => _writer;
    public string PeerDescription { get; }

    /// <summary>Ring reads spin and then sleep (futex, event): the core gives the read loop a thread of its own.</summary>
    public TransportFeatures Features => TransportFeatures.BlockingReads;

    /// <summary>Bytes written to the peer that it has not read yet (tests: a frame has left the ring before the next is sent).</summary>
    internal long UnreadByPeer
    {
        get
        {
            if (!Enter()) return 0;
            try { return _outbound.Available; }
            finally { Exit(); }
        }
    }

    /// <summary>True once the peer's control channel closed or we were disposed: stop waiting on the rings.</summary>
    internal bool IsClosing => Volatile.Read(ref _peerGone) != 0 || Volatile.Read(ref _disposed) != 0;

    /// <summary>Brackets ring access so the segment is never unmapped under a reader or writer.</summary>
    internal bool Enter()
    {
        Interlocked.Increment(ref _inUse);
        if (Volatile.Read(ref _disposed) == 0) return true;
        Interlocked.Decrement(ref _inUse);
        return false;
    }

    internal void Exit() => Interlocked.Decrement(ref _inUse);

    private async Task WatchControlAsync()
    {
        var buffer = new byte[16];
        try
        {
            while (await _control.ReadAsync(buffer).ConfigureAwait(false) > 0) { }
        }
        // The channel failed (a reset, a broken pipe) or we closed it under the pending read.
        catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException) { }
        // The peer process is gone (or closed): wake our own waiters so they notice.
        Volatile.Write(ref _peerGone, 1);
        if (Enter())
        {
            try
            {
                _inbound.WakeConsumer();
                _outbound.WakeProducer();
            }
            finally
            {
                Exit();
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        // Tell the peer no more bytes come, and interrupt our own blocked reader or writer (the writer thread ends).
        _outbound.Close();
        _writer.Complete();
        _inbound.WakeConsumer();
        _outbound.WakeProducer();
        await _control.DisposeAsync().ConfigureAwait(false); // the peer sees the end at once
        try { await _controlWatch.ConfigureAwait(false); } catch { }
        // Unmapping under a thread still inside the ring would crash the process: wait for them to leave.
        var deadline = Environment.TickCount64 + 5000;
        while (Volatile.Read(ref _inUse) != 0 && Environment.TickCount64 < deadline)
        {
            _inbound.WakeConsumer();
            _outbound.WakeProducer();
            await Task.Delay(1).ConfigureAwait(false);
        }
        if (Volatile.Read(ref _inUse) != 0) return; // leak the mapping rather than risk a crash
        _segment.Dispose();
    }
}
