using System.Buffers;
using System.Buffers.Binary;
using System.Text.Json;

namespace IpcContracts.Nats;

/// <summary>
/// The 32-byte frame header of docs/protocol.md section 2, read and written from its public description: the NATS
/// transport routes frames by kind and rewrites correlation IDs, and never interprets a payload beyond the manifest.
/// </summary>
internal static class WireFrame
{
    public const int HeaderSize = 32;
    public const byte Hello = 1, Request = 2, Response = 3, Error = 4, Cancel = 5, Event = 6, Ping = 7, Pong = 8, Goodbye = 9, Subscribe = 10, Unsubscribe = 11,
        StreamItem = 12, StreamCredit = 13, Progress = 14, StreamEnd = 15;
    public const ushort BusFlag = 0x0001, TraceContextFlag = 0x0002, UpstreamFlag = 0x0004;
    private const ushort Magic = 0x4349; // "IC" little-endian
    private const byte Version = 1;
    private const int CorrelationOffset = 16;

    internal readonly record struct Header(byte Kind, ushort Flags, uint ContractId, uint MethodId, ulong CorrelationId, uint PayloadLength)
    {
        public long FrameLength => HeaderSize + (long)PayloadLength;
    }

    /// <summary>Reads a header; false when the bytes are not an IpcContracts version-1 frame header.</summary>
    public static bool TryRead(ReadOnlySpan<byte> bytes, out Header header)
    {
        header = default;
        if (bytes.Length < HeaderSize || BinaryPrimitives.ReadUInt16LittleEndian(bytes) != Magic || bytes[2] != Version) return false;
        header = new Header(bytes[3], BinaryPrimitives.ReadUInt16LittleEndian(bytes[4..]), BinaryPrimitives.ReadUInt32LittleEndian(bytes[8..]),
            BinaryPrimitives.ReadUInt32LittleEndian(bytes[12..]), BinaryPrimitives.ReadUInt64LittleEndian(bytes[CorrelationOffset..]),
            BinaryPrimitives.ReadUInt32LittleEndian(bytes[24..]));
        return true;
    }

    /// <summary>Reads the header of one whole frame held in a NATS message; false for anything else.</summary>
    public static bool TryReadMessage(in ReadOnlySequence<byte> message, out Header header) =>
        TryReadHeader(message, out header) && header.FrameLength == message.Length;

    /// <summary>Reads the frame header a NATS message starts with, whatever its length says (a frame may come in parts).</summary>
    public static bool TryReadHeader(in ReadOnlySequence<byte> message, out Header header)
    {
        Span<byte> bytes = stackalloc byte[HeaderSize];
        header = default;
        if (message.Length < HeaderSize) return false;
        message.Slice(0, HeaderSize).CopyTo(bytes);
        return TryRead(bytes, out header);
    }

    /// <summary>
    /// The length of the run of Event frames at the start of <paramref name="buffer"/>, whose first frame (whole) has header
    /// <paramref name="first"/>: it and the whole frames right behind it that are events of the same contract and method
    /// with the same flags, as long as the run stays within <paramref name="limit"/> bytes (the first frame always counts).
    /// </summary>
    public static long EventRunLength(in ReadOnlySequence<byte> buffer, in Header first, long limit)
    {
        var length = first.FrameLength;
        var rest = buffer.Slice(length);
        Span<byte> bytes = stackalloc byte[HeaderSize];
        var more = true;
        while (more && rest.Length >= HeaderSize)
        {
            // The frames wholly inside the current block are read from its span, and the sequence is sliced once per block.
            var span = rest.FirstSpan;
            var at = 0;
            while (span.Length - at >= HeaderSize)
            {
                if (!SameBatch(span.Slice(at, HeaderSize), first, limit - length, out var next)) { more = false; break; }
                if (span.Length - at < next) break; // this one ends in the next block
                at += (int)next;
                length += next;
            }
            rest = rest.Slice(at);
            if (!more || rest.Length < HeaderSize) break;
            // A frame (or its header) across a block boundary.
            rest.Slice(0, HeaderSize).CopyTo(bytes);
            if (!SameBatch(bytes, first, limit - length, out var across) || rest.Length < across) break;
            rest = rest.Slice(across);
            length += across;
        }
        return length;
    }

    /// <summary>
    /// One whole Event frame, or a batch: Event frames back to back with the same flags, contract and method and neither
    /// <c>Bus</c>, <c>TraceContext</c> nor <c>Upstream</c> (docs/protocol.md section 9), filling the message exactly, each
    /// with correlation ID 0.
    /// <paramref name="header"/> is the first frame's; false for anything else.
    /// </summary>
    public static bool TryReadEvents(in ReadOnlySequence<byte> message, out Header header, out int count) =>
        TryReadEvents(message, out header, out count, out _);

    /// <summary>The same, and <paramref name="lastAt"/>: where the last frame of the run starts (0 for one frame).</summary>
    public static bool TryReadEvents(in ReadOnlySequence<byte> message, out Header header, out int count, out long lastAt)
    {
        count = 0;
        lastAt = 0;
        header = default;
        if (message.Length < HeaderSize) return false;
        Span<byte> bytes = stackalloc byte[HeaderSize];
        message.Slice(0, HeaderSize).CopyTo(bytes);
        // An Event's correlation ID is 0 (docs/protocol.md section 3.1). In this process the field carries delivery tags from
        // the transport to the core (durable events, runs), so a message whose frames carry anything else is not taken: its
        // IDs would reach the acknowledgements as tags (a durable event acknowledged before its handler finished).
        if (!TryRead(bytes, out header) || header.Kind != Event || header.CorrelationId != 0) return false;
        if (header.FrameLength == message.Length)
        {
            count = 1;
            return true;
        }
        if (header.FrameLength > message.Length || (header.Flags & (BusFlag | TraceContextFlag | UpstreamFlag)) != 0) return false;
        if (message.IsSingleSegment) return TryCountBatch(message.FirstSpan, header, out count, out lastAt);
        var rest = message;
        var n = 0;
        long at = 0;
        while (!rest.IsEmpty)
        {
            if (rest.Length < HeaderSize) return false;
            rest.Slice(0, HeaderSize).CopyTo(bytes);
            if (!SameBatch(bytes, header, rest.Length, out var length)) return false;
            lastAt = at;
            at += length;
            rest = rest.Slice(length);
            n++;
        }
        count = n;
        return true;
    }

    private static bool TryCountBatch(ReadOnlySpan<byte> message, in Header first, out int count, out long lastAt)
    {
        count = 0;
        lastAt = 0;
        var at = 0;
        while (at < message.Length)
        {
            var rest = message[at..];
            if (rest.Length < HeaderSize || !SameBatch(rest, first, rest.Length, out var length)) return false;
            lastAt = at;
            at += (int)length;
            count++;
        }
        return true;
    }

    /// <summary>The frame header at the start of <paramref name="bytes"/> is another event of <paramref name="first"/>'s batch, whole within <paramref name="left"/> bytes.</summary>
    private static bool SameBatch(ReadOnlySpan<byte> bytes, in Header first, long left, out long length)
    {
        length = 0;
        if (!TryRead(bytes, out var next) || next.Kind != Event || next.Flags != first.Flags || next.ContractId != first.ContractId
            || next.MethodId != first.MethodId || next.CorrelationId != 0 || next.FrameLength > left)
            return false;
        length = next.FrameLength;
        return true;
    }

    public static void PatchCorrelation(Span<byte> frame, ulong correlationId) =>
        BinaryPrimitives.WriteUInt64LittleEndian(frame[CorrelationOffset..], correlationId);

    /// <summary>
    /// Rewrites the correlation ID of a whole frame where it lies, across segments if it must. Only for bytes this process
    /// owns and nobody reads meanwhile: the transport's outbound pipe buffer, which is its own until it advances past them.
    /// </summary>
    public static void PatchCorrelation(in ReadOnlySequence<byte> frame, ulong correlationId)
    {
        Span<byte> id = stackalloc byte[sizeof(ulong)];
        BinaryPrimitives.WriteUInt64LittleEndian(id, correlationId);
        foreach (var segment in frame.Slice(CorrelationOffset, sizeof(ulong)))
        {
            var target = System.Runtime.InteropServices.MemoryMarshal.AsMemory(segment).Span;
            id[..target.Length].CopyTo(target);
            id = id[target.Length..];
        }
    }

    /// <summary>Where a frame's correlation ID lies, from the frame's start (8 bytes, little-endian).</summary>
    public const int CorrelationAt = CorrelationOffset;

    public static byte[] Build(byte kind, ushort flags, uint contractId, uint methodId, ulong correlationId, ReadOnlySpan<byte> payload)
    {
        var frame = new byte[HeaderSize + payload.Length];
        BinaryPrimitives.WriteUInt16LittleEndian(frame, Magic);
        frame[2] = Version;
        frame[3] = kind;
        BinaryPrimitives.WriteUInt16LittleEndian(frame.AsSpan(4), flags);
        BinaryPrimitives.WriteUInt32LittleEndian(frame.AsSpan(8), contractId);
        BinaryPrimitives.WriteUInt32LittleEndian(frame.AsSpan(12), methodId);
        BinaryPrimitives.WriteUInt64LittleEndian(frame.AsSpan(CorrelationOffset), correlationId);
        BinaryPrimitives.WriteUInt32LittleEndian(frame.AsSpan(24), (uint)payload.Length);
        payload.CopyTo(frame.AsSpan(HeaderSize));
        return frame;
    }

    /// <summary>
    /// An Error frame answering a Request (docs/protocol.md section 5.3): flags echo <c>Bus</c> only, IDs echo the
    /// request. <paramref name="contract"/> and <paramref name="method"/> are written for code <c>mismatch</c>.
    /// </summary>
    public static byte[] BuildError(in Header request, string code, string type, string message, string? contract = null, string? method = null)
    {
        var json = new ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(json))
        {
            w.WriteStartObject();
            w.WriteString("code", code);
            w.WriteString("type", type);
            w.WriteString("message", message);
            if (contract is not null) w.WriteString("contract", contract);
            if (method is not null) w.WriteString("method", method);
            w.WriteEndObject();
        }
        return Build(Error, (ushort)(request.Flags & BusFlag), request.ContractId, request.MethodId, request.CorrelationId, json.WrittenSpan);
    }
}
