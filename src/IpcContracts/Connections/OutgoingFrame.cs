using System.Buffers;

namespace IpcContracts.Connections;

/// <summary>
/// A complete frame (header + payload) in one pooled array. Reference-counted so a published event
/// is serialized once and shared by every connection it fans out to.
/// </summary>
internal sealed class OutgoingFrame
{
    private byte[]? _buffer;
    private int _length;
    private int _refs = 1;
    private readonly bool _pooled;

    /// <summary>A frame that is not reused after its release (tests hold on to theirs to check who released them).</summary>
    internal OutgoingFrame(byte[] buffer, int length)
    {
        _buffer = buffer;
        _length = length;
    }

    private OutgoingFrame() => _pooled = true;

    // Every call sends two frames and every event one: the frame objects are reused instead of allocated each time. Frames
    // are usually built and released on the same thread (the sender writes on the queuing thread when it is idle), so one
    // spare per thread, then a few shared ones.
    [ThreadStatic] private static OutgoingFrame? t_spare;
    private static readonly OutgoingFrame?[] s_spares = new OutgoingFrame?[16];

    /// <summary>A frame over <paramref name="buffer"/> (rented from <see cref="ArrayPool{T}.Shared"/>), which it now owns.</summary>
    public static OutgoingFrame Create(byte[] buffer, int length)
    {
        var frame = t_spare;
        if (frame is not null) t_spare = null;
        else
        {
            for (var i = 0; i < s_spares.Length && frame is null; i++)
                frame = Interlocked.Exchange(ref s_spares[i], null);
            frame ??= new OutgoingFrame();
        }
        frame._length = length;
        frame._refs = 1;
        Volatile.Write(ref frame._buffer, buffer);
        return frame;
    }

    public ReadOnlyMemory<byte> Memory => (_buffer ?? throw new ObjectDisposedException(nameof(OutgoingFrame))).AsMemory(0, _length);

    public int Length => _length;

    /// <summary>
    /// An empty block of <paramref name="capacity"/> bytes that a send queue fills with several small frames
    /// (<see cref="TryAppend"/>), so each of them can give its own pooled buffer back at once.
    /// </summary>
    public static OutgoingFrame Block(int capacity) => Create(ArrayPool<byte>.Shared.Rent(capacity), 0);

    /// <summary>Appends bytes to a block that only its owner holds (refcount 1); false when they do not fit.</summary>
    public bool TryAppend(ReadOnlySpan<byte> bytes)
    {
        var buffer = _buffer ?? throw new ObjectDisposedException(nameof(OutgoingFrame));
        if (buffer.Length - _length < bytes.Length) return false;
        bytes.CopyTo(buffer.AsSpan(_length));
        _length += bytes.Length;
        return true;
    }

    /// <summary>References still held (for tests of who gave the frame back).</summary>
    internal int References => Volatile.Read(ref _refs);

    public void AddRef() => Interlocked.Increment(ref _refs);

    /// <summary>
    /// Drops one reference; the last one returns the buffer and, for a pooled frame, the frame itself for reuse. Every
    /// holder releases exactly once and touches the frame no more (the sender's tests check it): a late second release
    /// could otherwise hit the frame's next use.
    /// </summary>
    public void Release()
    {
        if (Interlocked.Decrement(ref _refs) != 0) return;
        var buffer = Interlocked.Exchange(ref _buffer, null);
        if (buffer is null) return;
        ArrayPool<byte>.Shared.Return(buffer);
        if (!_pooled) return;
        if (t_spare is null)
        {
            t_spare = this;
            return;
        }
        for (var i = 0; i < s_spares.Length; i++)
        {
            if (Interlocked.CompareExchange(ref s_spares[i], this, null) is null) return;
        }
    }
}
