using System.Buffers.Binary;

namespace IpcContracts.Protocol;

/// <summary>
/// The fixed 32-byte little-endian frame header (docs/protocol.md, "Frame header").
/// </summary>
internal readonly record struct FrameHeader(
    FrameKind Kind,
    FrameFlags Flags,
    uint ContractId,
    uint MethodId,
    ulong CorrelationId,
    int PayloadLength)
{
    /// <summary>Size of the header in bytes.</summary>
    public const int Size = 32;

    /// <summary>First two bytes of every frame: ASCII "IC".</summary>
    public const ushort Magic = 0x4349; // 'I' (0x49) then 'C' (0x43) in little-endian order

    /// <summary>Protocol version written by this build.</summary>
    public const byte CurrentVersion = 1;

    /// <summary>Writes this header into the first <see cref="Size"/> bytes of <paramref name="destination"/>.</summary>
    public void Write(Span<byte> destination)
    {
        if (destination.Length < Size)
            throw new ArgumentException("Destination is shorter than a frame header.", nameof(destination));
        BinaryPrimitives.WriteUInt16LittleEndian(destination, Magic);
        destination[2] = CurrentVersion;
        destination[3] = (byte)Kind;
        BinaryPrimitives.WriteUInt16LittleEndian(destination[4..], (ushort)Flags);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[6..], 0);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[8..], ContractId);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[12..], MethodId);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[16..], CorrelationId);
        BinaryPrimitives.WriteInt32LittleEndian(destination[24..], PayloadLength);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[28..], 0);
    }

    /// <summary>
    /// Parses and validates a header. Throws <see cref="IpcProtocolException"/> for a bad magic,
    /// an unsupported version, an unknown kind, non-zero reserved bytes or a length above
    /// <paramref name="maxPayloadLength"/>, before anything is allocated for the payload.
    /// </summary>
    public static FrameHeader Read(ReadOnlySpan<byte> source, int maxPayloadLength)
    {
        if (source.Length < Size)
            throw new IpcProtocolException(ProtocolError.Truncated, "Frame header is shorter than 32 bytes.");
        var magic = BinaryPrimitives.ReadUInt16LittleEndian(source);
        if (magic != Magic)
            throw new IpcProtocolException(ProtocolError.BadMagic, $"Frame does not start with the IpcContracts magic 'IC' (found 0x{magic:X4}).");
        var version = source[2];
        if (version != CurrentVersion)
            throw new IpcProtocolException(ProtocolError.UnsupportedVersion,
                $"Peer speaks protocol version {version}; this side speaks version {CurrentVersion}.");
        var kind = (FrameKind)source[3];
        if (kind is < FrameKind.Hello or > FrameKind.StreamEnd)
            throw new IpcProtocolException(ProtocolError.UnknownKind, $"Unknown frame kind {source[3]}.");
        var flags = (FrameFlags)BinaryPrimitives.ReadUInt16LittleEndian(source[4..]);
        if ((flags & ~FrameFlags.Defined) != 0)
            throw new IpcProtocolException(ProtocolError.ReservedBitsSet, $"Undefined flag bits 0x{(ushort)(flags & ~FrameFlags.Defined):X4} are set.");
        if (BinaryPrimitives.ReadUInt16LittleEndian(source[6..]) != 0 || BinaryPrimitives.ReadUInt32LittleEndian(source[28..]) != 0)
            throw new IpcProtocolException(ProtocolError.ReservedBitsSet, "Reserved header bytes must be zero in protocol version 1.");
        // Unsigned on the wire (docs/protocol.md, section 2); limits are at most int.MaxValue, so every value
        // from 2^31 up is simply above the limit.
        var length = BinaryPrimitives.ReadUInt32LittleEndian(source[24..]);
        if (length > (uint)Math.Max(maxPayloadLength, 0))
            throw new IpcProtocolException(ProtocolError.FrameTooLarge,
                $"Frame payload length {length} exceeds the limit of {maxPayloadLength} bytes.");
        return new FrameHeader(kind, flags,
            BinaryPrimitives.ReadUInt32LittleEndian(source[8..]),
            BinaryPrimitives.ReadUInt32LittleEndian(source[12..]),
            BinaryPrimitives.ReadUInt64LittleEndian(source[16..]),
            (int)length);
    }
}

/// <summary>Header flag bits. Undefined bits must be zero.</summary>
[Flags]
internal enum FrameFlags : ushort
{
    /// <summary>No flags.</summary>
    None = 0,
    /// <summary>Request/Event targets the message bus (aggregator): MethodId is a message type ID.</summary>
    Bus = 1,
    /// <summary>
    /// Request/Event payload starts with a W3C trace-context prefix (traceparent, tracestate) before the JSON
    /// (docs/protocol.md, "Trace context"). Sent only when the sender has a current Activity.
    /// </summary>
    TraceContext = 2,
    /// <summary>
    /// StreamItem/StreamCredit/Cancel/StreamEnd that belong to the argument stream of a Request the caller sent
    /// (docs/protocol.md, "Argument streams"): the correlation ID is the caller's, so these frames say which side's
    /// numbering they use.
    /// </summary>
    Upstream = 4,
    /// <summary>
    /// The payload holds raw bytes (docs/protocol.md, "Binary payloads"): a Response or StreamItem is the bytes themselves;
    /// a Request or Event is its JSON argument object, the binary argument's bytes, then their length (u32 LE).
    /// </summary>
    Binary = 8,
    /// <summary>Every defined bit; the others must be zero.</summary>
    Defined = Bus | TraceContext | Upstream | Binary,
}
