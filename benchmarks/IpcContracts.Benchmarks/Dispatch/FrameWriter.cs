using System.Buffers;
using System.Text.Json;
using IpcContracts.Protocol;

namespace IpcContracts.Benchmarks.Dispatch;

/// <summary>
/// Builds one frame the way the runtime's (internal) frame builder does: a pooled buffer with 32 bytes
/// reserved for the header, JSON written straight behind it through a reused <see cref="Utf8JsonWriter"/>,
/// then the header filled in once the length is known. Lets the in-process benchmarks produce real
/// wire bytes without a connection.
/// </summary>
internal sealed class FrameWriter : IBufferWriter<byte>
{
    [ThreadStatic] private static FrameWriter? t_instance;
    private readonly Utf8JsonWriter _json;
    private byte[] _buffer = [];
    private int _position;

    private FrameWriter() => _json = new Utf8JsonWriter(this);

    /// <summary>The calling thread's writer, with an empty frame started.</summary>
    public static Utf8JsonWriter Begin(out FrameWriter frame)
    {
        frame = t_instance ??= new FrameWriter();
        frame._buffer = ArrayPool<byte>.Shared.Rent(512);
        frame._position = FrameHeader.Size;
        frame._json.Reset(frame);
        return frame._json;
    }

    /// <summary>Writes the header and hands over the frame; give it back with <see cref="Frame.Return"/>.</summary>
    public Frame Complete(FrameKind kind, uint contractId, uint methodId, ulong correlationId)
    {
        _json.Flush();
        var buffer = _buffer;
        _buffer = [];
        new FrameHeader(kind, FrameFlags.None, contractId, methodId, correlationId, _position - FrameHeader.Size).Write(buffer);
        return new Frame(buffer, _position);
    }

    public void Advance(int count) => _position += count;

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Ensure(sizeHint); // before reading _buffer: it may be replaced
        return _buffer.AsMemory(_position);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsSpan(_position);
    }

    private void Ensure(int sizeHint)
    {
        sizeHint = Math.Max(sizeHint, 1);
        if (_buffer.Length - _position < sizeHint)
        {
            var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(_buffer.Length * 2, _position + sizeHint));
            _buffer.AsSpan(0, _position).CopyTo(bigger);
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = bigger;
        }
    }
}

/// <summary>A frame in a pooled buffer.</summary>
internal readonly record struct Frame(byte[] Buffer, int Length)
{
    public ReadOnlySpan<byte> Span => Buffer.AsSpan(0, Length);

    public void Return()
    {
        if (Buffer is { Length: > 0 }) ArrayPool<byte>.Shared.Return(Buffer);
    }
}
