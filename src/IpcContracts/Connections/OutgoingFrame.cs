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

    internal OutgoingFrame(byte[] buffer, int length)
    {
        _buffer = buffer;
        _length = length;
    }

    public ReadOnlyMemory<byte> Memory => (_buffer ?? throw new ObjectDisposedException(nameof(OutgoingFrame))).AsMemory(0, _length);

    public int Length => _length;

    /// <summary>
    /// An empty block of <paramref name="capacity"/> bytes that a send queue fills with several small frames
    /// (<see cref="TryAppend"/>), so each of them can give its own pooled buffer back at once.
    /// </summary>
    public static OutgoingFrame Block(int capacity) => new(ArrayPool<byte>.Shared.Rent(capacity), 0);

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

    public void Release()
    {
        if (Interlocked.Decrement(ref _refs) != 0) return;
        var buffer = Interlocked.Exchange(ref _buffer, null);
        if (buffer is not null) ArrayPool<byte>.Shared.Return(buffer);
    }
}
