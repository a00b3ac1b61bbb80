using System.Buffers;

namespace IpcContracts.Connections;

/// <summary>
/// A complete frame (header + payload) in one pooled array. Reference-counted so a published event
/// is serialized once and shared by every connection it fans out to.
/// </summary>
internal sealed class OutgoingFrame
{
    private byte[]? _buffer;
    private readonly int _length;
    private int _refs = 1;

    internal OutgoingFrame(byte[] buffer, int length)
    {
        _buffer = buffer;
        _length = length;
    }

    public ReadOnlyMemory<byte> Memory => (_buffer ?? throw new ObjectDisposedException(nameof(OutgoingFrame))).AsMemory(0, _length);

    public int Length => _length;

    public void AddRef() => Interlocked.Increment(ref _refs);

    public void Release()
    {
        if (Interlocked.Decrement(ref _refs) != 0) return;
        var buffer = Interlocked.Exchange(ref _buffer, null);
        if (buffer is not null) ArrayPool<byte>.Shared.Return(buffer);
    }
}
