using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics;
using System.Text;

namespace IpcContracts.Protocol;

/// <summary>
/// The W3C trace-context prefix of Request and Event payloads whose header has the
/// <see cref="Protocol.FrameFlags.TraceContext"/> flag (docs/protocol.md, "Trace context"):
/// <c>[u8 N][N bytes traceparent][u16 LE M][M bytes tracestate]</c>, then the usual JSON.
/// </summary>
internal static class TraceContextPrefix
{
    /// <summary>A tracestate longer than this (the W3C limit) is not sent; the traceparent still is.</summary>
    public const int MaxTraceStateLength = 512;

    /// <summary>
    /// Writes the prefix for <paramref name="activity"/>; false (nothing written) when its ID is not in W3C
    /// format. The traceparent is <see cref="Activity.Id"/>, which for W3C IDs is exactly the header value.
    /// </summary>
    public static bool TryWrite(IBufferWriter<byte> output, Activity activity)
    {
        if (activity.IdFormat != ActivityIdFormat.W3C || activity.Id is not { Length: > 0 and <= 255 } traceParent) return false;
        var traceState = activity.TraceStateString;
        if (traceState is null || traceState.Length > MaxTraceStateLength || !IsPrintableAscii(traceState)) traceState = "";
        var size = 1 + traceParent.Length + 2 + traceState.Length;
        var span = output.GetSpan(size);
        span[0] = (byte)traceParent.Length;
        Encoding.ASCII.GetBytes(traceParent, span[1..]);
        BinaryPrimitives.WriteUInt16LittleEndian(span[(1 + traceParent.Length)..], (ushort)traceState.Length);
        Encoding.ASCII.GetBytes(traceState, span[(3 + traceParent.Length)..]);
        output.Advance(size);
        return true;
    }

    /// <summary>
    /// Splits <paramref name="payload"/> into the prefix and the JSON after it. False when the prefix is
    /// malformed (lengths past the end, an empty traceparent, bytes that are not printable ASCII): the call
    /// is then answered with <c>bad_payload</c>. With <paramref name="parse"/>, <paramref name="parent"/> is
    /// the remote context, or default when the traceparent is well-framed but not a valid W3C value (W3C
    /// says to ignore it then and start a new trace).
    /// </summary>
    public static bool TryStrip(ref ReadOnlySequence<byte> payload, bool parse, out ActivityContext parent, out string? error)
    {
        parent = default;
        error = null;
        var reader = new SequenceReader<byte>(payload);
        if (!reader.TryRead(out var parentLength) || parentLength == 0 || reader.Remaining < parentLength)
        {
            error = "the trace-context prefix is truncated or has an empty traceparent";
            return false;
        }
        var parentBytes = payload.Slice(reader.Position, parentLength);
        reader.Advance(parentLength);
        if (!reader.TryReadLittleEndian(out short rawStateLength) || reader.Remaining < (ushort)rawStateLength)
        {
            error = "the trace-context prefix is truncated (tracestate)";
            return false;
        }
        var stateLength = (ushort)rawStateLength;
        var stateBytes = payload.Slice(reader.Position, stateLength);
        reader.Advance(stateLength);
        if (!IsPrintableAscii(parentBytes) || !IsPrintableAscii(stateBytes))
        {
            error = "the trace-context prefix holds bytes that are not printable ASCII";
            return false;
        }
        if (parse)
        {
            var traceParent = Encoding.ASCII.GetString(parentBytes);
            var traceState = stateLength == 0 ? null : Encoding.ASCII.GetString(stateBytes);
            if (!ActivityContext.TryParse(traceParent, traceState, isRemote: true, out parent)) parent = default;
        }
        payload = payload.Slice(reader.Position);
        return true;
    }

    private static bool IsPrintableAscii(string text)
    {
        foreach (var c in text)
            if (c is < ' ' or > '~') return false;
        return true;
    }

    private static bool IsPrintableAscii(in ReadOnlySequence<byte> bytes)
    {
        foreach (var segment in bytes)
            foreach (var b in segment.Span)
                if (b is < 0x20 or > 0x7E) return false;
        return true;
    }
}
