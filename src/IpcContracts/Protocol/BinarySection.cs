using System.Buffers;
using System.Buffers.Binary;

namespace IpcContracts.Protocol;

/// <summary>
/// The binary argument of a Request or Event with the Binary flag (docs/protocol.md, "Binary payloads"): the payload is
/// <c>[argument object][bytes][length of bytes, u32 LE]</c>, so a writer can append the bytes after the JSON it has just
/// finished and a reader finds the split from the end.
/// </summary>
internal static class BinarySection
{
    public const int TrailerSize = 4;

    /// <summary>
    /// Splits the payload of a frame with the Binary flag; false (with the reason) when the trailer is missing or claims
    /// more than the payload holds, or the frame is a Bus frame (whose bare values are never binary).
    /// </summary>
    // payload by value, not `in`: callers split a body into itself (out body), and an `in` alias would see the outs cleared.
    public static bool TrySplit(FrameFlags flags, ReadOnlySequence<byte> payload, out ReadOnlySequence<byte> json, out ReadOnlySequence<byte> bytes, out string? error)
    {
        json = bytes = default;
        if ((flags & FrameFlags.Bus) != 0)
        {
            error = "a Bus frame cannot have the Binary flag";
            return false;
        }
        if (payload.Length < TrailerSize)
        {
            error = $"a binary payload of {payload.Length} bytes has no room for its {TrailerSize}-byte length";
            return false;
        }
        Span<byte> trailer = stackalloc byte[TrailerSize];
        payload.Slice(payload.Length - TrailerSize).CopyTo(trailer);
        var length = BinaryPrimitives.ReadUInt32LittleEndian(trailer);
        var available = payload.Length - TrailerSize;
        if (length > available)
        {
            error = $"the binary argument claims {length} bytes but the payload holds {available}";
            return false;
        }
        json = payload.Slice(0, available - length);
        bytes = payload.Slice(available - length, length);
        error = null;
        return true;
    }
}
