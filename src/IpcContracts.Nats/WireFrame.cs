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
    public static bool TryReadMessage(in ReadOnlySequence<byte> message, out Header header)
    {
        Span<byte> bytes = stackalloc byte[HeaderSize];
        header = default;
        if (message.Length < HeaderSize) return false;
        message.Slice(0, HeaderSize).CopyTo(bytes);
        return TryRead(bytes, out header) && header.FrameLength == message.Length;
    }

    public static void PatchCorrelation(Span<byte> frame, ulong correlationId) =>
        BinaryPrimitives.WriteUInt64LittleEndian(frame[CorrelationOffset..], correlationId);

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
