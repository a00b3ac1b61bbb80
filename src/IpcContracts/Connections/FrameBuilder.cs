using System.Buffers;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using IpcContracts.Diagnostics;
using IpcContracts.Protocol;
using IpcContracts.Runtime;
using IpcContracts.Serialization;

namespace IpcContracts.Connections;

/// <summary>
/// Serializes a payload straight into a pooled buffer behind a reserved header slot, then fills in
/// the header once the length is known. One buffer per frame, no intermediate copies.
/// </summary>
internal sealed class FrameBuilder : IBufferWriter<byte>
{
    [ThreadStatic] private static FrameBuilder? t_cached;
    [ThreadStatic] private static Utf8JsonWriter? t_writer;
    // The builder whose argument object is being written on this thread: ArgsJson.WriteBinary hands it the binary argument.
    [ThreadStatic] private static FrameBuilder? t_writingArgs;

    private byte[] _buffer = [];
    private int _position;
    private ReadOnlySequence<byte> _binary;
    private bool _hasBinary;

    private static FrameBuilder Rent(int sizeHint)
    {
        var b = t_cached ?? new FrameBuilder();
        t_cached = null;
        b._buffer = ArrayPool<byte>.Shared.Rent(Math.Max(FrameHeader.Size + sizeHint, 512));
        b._position = FrameHeader.Size;
        return b;
    }

    private static Utf8JsonWriter WriterFor(FrameBuilder builder)
    {
        var w = t_writer;
        if (w is null) t_writer = w = new Utf8JsonWriter(builder);
        else w.Reset(builder);
        return w;
    }

    private OutgoingFrame Complete(in FrameHeaderTemplate h, int maxPayload) =>
        OutgoingFrame.Create(TakeWithHeader(h, _position - FrameHeader.Size, maxPayload), _position);

    /// <summary>As <see cref="Complete"/>, for a frame whose buffer holds the head and the trailer around the caller's bytes.</summary>
    private OutgoingFrame CompleteBorrowing(in FrameHeaderTemplate h, int headLength, ReadOnlyMemory<byte> body, int maxPayload) =>
        OutgoingFrame.CreateBorrowing(TakeWithHeader(h, (long)_position - FrameHeader.Size + body.Length, maxPayload), headLength, body, new BorrowedArgument());

    /// <summary>Takes the buffer from this builder (which goes back to the thread's cache) and writes the frame header into it.</summary>
    private byte[] TakeWithHeader(in FrameHeaderTemplate h, long payloadLength, int maxPayload)
    {
        var buffer = _buffer;
        _buffer = [];
        t_cached = this;
        if (payloadLength > maxPayload)
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw new IpcException($"The payload is {payloadLength} bytes; the limit (IpcOptions.MaxPayloadLength) is {maxPayload} bytes.");
        }
        new FrameHeader(h.Kind, h.Flags, h.ContractId, h.MethodId, h.CorrelationId, (int)payloadLength).Write(buffer);
        return buffer;
    }

    private void Abandon()
    {
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = [];
        t_cached = this;
    }

    /// <summary>
    /// A binary argument of at least this many bytes is borrowed by a Request frame that may borrow (see
    /// <see cref="Args{TArgs}"/>) instead of copied into it. The send path writes frames above 64 KiB from their own
    /// memory (FrameSender.LargeFrame), so from this size on the copy into the frame is the only copy the sender makes
    /// (sockets: one gathered send of the head and the caller's memory; shm: straight from the caller's memory into the
    /// ring). Below it, the frame's bytes are copied into the transport's buffer anyway and borrowing would save nothing,
    /// while it costs a lease per call and holds up a cancelled call while its frame is being written.
    /// </summary>
    public const int BorrowMinimum = 64 * 1024;

    /// <param name="h">The frame's header fields.</param>
    /// <param name="args">The argument values.</param>
    /// <param name="writeArgs">Writes them as the argument object (the generated writer).</param>
    /// <param name="maxPayload">IpcOptions.MaxPayloadLength.</param>
    /// <param name="borrowBinary">
    /// True only for a Request whose call will not complete while its frame is being written (Launch, with the lease in
    /// <see cref="OutgoingFrame.Borrowed"/>): a binary argument of at least <see cref="BorrowMinimum"/> bytes in one
    /// piece is then referenced, not copied. Events and stream Requests copy (their callers get no completion to hold).
    /// </param>
    public static OutgoingFrame Args<TArgs>(in FrameHeaderTemplate h, TArgs args, ArgsWriter<TArgs> writeArgs, int maxPayload, bool borrowBinary = false)
    {
        var b = Rent(256);
        var trace = IpcTelemetry.BeginOutbound(h);
        var header = b.WriteTraceContext(h, trace);
        var headLength = -1; // set when the binary section stays in the caller's memory
        ReadOnlyMemory<byte> borrowed = default;
        try
        {
            var w = WriterFor(b);
            w.WriteStartObject();
            t_writingArgs = b;
            try
            {
                writeArgs(w, args);
            }
            finally
            {
                t_writingArgs = null;
            }
            w.WriteEndObject();
            w.Flush();
            if (b._hasBinary)
            {
                // [argument object][binary argument][its length, u32 LE]: the reader finds the split from the end.
                var bytes = b._binary;
                b._binary = default;
                b._hasBinary = false;
                if (bytes.Length > maxPayload)
                    throw new IpcException($"The binary argument is {bytes.Length} bytes; the limit (IpcOptions.MaxPayloadLength) is {maxPayload} bytes.");
                header = header with { Flags = header.Flags | FrameFlags.Binary };
                if (borrowBinary && bytes.IsSingleSegment && bytes.Length >= BorrowMinimum)
                {
                    // The same bytes on the wire as below; the binary section stays in the caller's memory.
                    headLength = b._position;
                    borrowed = bytes.First;
                    System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(b.GetSpan(BinarySection.TrailerSize), (uint)bytes.Length);
                    b._position += BinarySection.TrailerSize;
                }
                else
                {
                    b.Append(bytes);
                    System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(b.GetSpan(BinarySection.TrailerSize), (uint)bytes.Length);
                    b._position += BinarySection.TrailerSize;
                }
            }
        }
        catch
        {
            b._binary = default;
            b._hasBinary = false;
            trace.End();
            b.Abandon();
            throw;
        }
        trace.End();
        return headLength < 0 ? b.Complete(header, maxPayload) : b.CompleteBorrowing(header, headLength, borrowed, maxPayload);
    }

    /// <summary>
    /// Takes the binary argument of the argument object being written with <paramref name="writer"/>; false when there is
    /// none being built on this thread (the caller then writes the bytes as a base64 member, which every reader accepts).
    /// </summary>
    public static bool TryAttachBinary(Utf8JsonWriter writer, in ReadOnlySequence<byte> bytes)
    {
        var b = t_writingArgs;
        if (b is null || !ReferenceEquals(writer, t_writer) || b._hasBinary) return false;
        b._binary = bytes; // copied once the object is complete, still inside the synchronous Args call
        b._hasBinary = true;
        return true;
    }

    /// <summary>
    /// A Response or StreamItem value: raw bytes with the Binary flag when T is a binary payload type (and not a null
    /// byte[]), else JSON.
    /// </summary>
    public static OutgoingFrame Item<T>(in FrameHeaderTemplate h, T value, JsonTypeInfo<T> typeInfo, int maxPayload)
    {
        if (!BinaryPayload<T>.IsBinary || !BinaryPayload<T>.TryGetBytes(value, out var bytes))
            return Value(h, value, typeInfo, maxPayload);
        if (bytes.Length > maxPayload)
            throw new IpcException($"The payload is {bytes.Length} bytes; the limit (IpcOptions.MaxPayloadLength) is {maxPayload} bytes.");
        var b = Rent((int)bytes.Length);
        b.Append(bytes);
        return b.Complete(h with { Flags = h.Flags | FrameFlags.Binary }, maxPayload);
    }

    /// <summary>
    /// A binary item whose <paramref name="payloadLength"/> bytes were read straight into <paramref name="buffer"/> behind
    /// its header slot (<see cref="ByteChunkFrames"/>); the buffer, rented from <see cref="ArrayPool{T}.Shared"/>, now
    /// belongs to the frame.
    /// </summary>
    public static OutgoingFrame BinaryItem(in FrameHeaderTemplate h, byte[] buffer, int payloadLength)
    {
        new FrameHeader(h.Kind, h.Flags | FrameFlags.Binary, h.ContractId, h.MethodId, h.CorrelationId, payloadLength).Write(buffer);
        return OutgoingFrame.Create(buffer, FrameHeader.Size + payloadLength);
    }

    /// <summary>
    /// A binary item whose bytes stay in <paramref name="chunk"/> (a slice of the array behind a <see cref="MemoryStream"/>
    /// source, <see cref="ByteChunkFrames"/>): the frame's own buffer holds only its header, and the send path writes the
    /// chunk from where it is. The same bytes on the wire as <see cref="BinaryItem"/>.
    /// </summary>
    public static OutgoingFrame BorrowedBinaryItem(in FrameHeaderTemplate h, ReadOnlyMemory<byte> chunk, StreamChunkLease lease)
    {
        lease.Add();
        var buffer = ArrayPool<byte>.Shared.Rent(FrameHeader.Size);
        new FrameHeader(h.Kind, h.Flags | FrameFlags.Binary, h.ContractId, h.MethodId, h.CorrelationId, chunk.Length).Write(buffer);
        return OutgoingFrame.CreateBorrowing(buffer, FrameHeader.Size, chunk, lease, trailerLength: 0);
    }

    private void Append(in ReadOnlySequence<byte> bytes)
    {
        var length = (int)bytes.Length;
        bytes.CopyTo(GetSpan(length));
        _position += length;
    }

    public static OutgoingFrame Value<T>(in FrameHeaderTemplate h, T value, JsonTypeInfo<T> typeInfo, int maxPayload)
    {
        var b = Rent(256);
        var trace = IpcTelemetry.BeginOutbound(h);
        var header = b.WriteTraceContext(h, trace);
        try
        {
            var w = WriterFor(b);
            JsonSerializer.Serialize(w, value, typeInfo);
            w.Flush();
        }
        catch
        {
            trace.End();
            b.Abandon();
            throw;
        }
        trace.End();
        return b.Complete(header, maxPayload);
    }

    public static OutgoingFrame Raw(in FrameHeaderTemplate h, ReadOnlySpan<byte> payload, int maxPayload)
    {
        var b = Rent(payload.Length);
        var trace = IpcTelemetry.BeginOutbound(h);
        var header = b.WriteTraceContext(h, trace);
        trace.End();
        payload.CopyTo(b.GetSpan(payload.Length));
        b._position += payload.Length;
        return b.Complete(header, maxPayload);
    }

    /// <summary>
    /// Requests and Events carry the trace-context prefix (docs/protocol.md 3.5) when a span is current; the framing
    /// writes it and sets the flag, telemetry only chose the span.
    /// </summary>
    private FrameHeaderTemplate WriteTraceContext(in FrameHeaderTemplate h, in OutboundTrace trace) =>
        trace.Context is { } context && TraceContextPrefix.TryWrite(this, context) ? h with { Flags = h.Flags | FrameFlags.TraceContext } : h;

    public static OutgoingFrame Empty(in FrameHeaderTemplate h) => Raw(h, [], int.MaxValue);

    public void Advance(int count) => _position += count;

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsMemory(_position);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsSpan(_position);
    }

    private void Ensure(int sizeHint)
    {
        if (sizeHint < 1) sizeHint = 1;
        if (_buffer.Length - _position >= sizeHint) return;
        var newSize = Math.Max(_buffer.Length * 2, _position + sizeHint);
        var bigger = ArrayPool<byte>.Shared.Rent(newSize);
        _buffer.AsSpan(0, _position).CopyTo(bigger);
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = bigger;
    }
}

/// <summary>Header fields of a frame about to be built (the length is filled in later).</summary>
internal readonly record struct FrameHeaderTemplate(FrameKind Kind, FrameFlags Flags, uint ContractId, uint MethodId, ulong CorrelationId);
