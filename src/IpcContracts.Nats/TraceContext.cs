using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace IpcContracts.Nats;

/// <summary>Reads the trace-context prefix of a payload (docs/protocol.md section 3.5) to copy it into NATS headers.</summary>
internal static class TraceContext
{
    public static bool TryRead(in ReadOnlySequence<byte> payload, out string traceparent, out string tracestate)
    {
        traceparent = tracestate = "";
        var head = payload.Length > 600 ? payload.Slice(0, 600).ToArray() : payload.ToArray();
        if (head.Length < 1 || head[0] == 0 || head.Length < 1 + head[0] + 2) return false;
        int n = head[0];
        traceparent = Encoding.ASCII.GetString(head, 1, n);
        int m = BinaryPrimitives.ReadUInt16LittleEndian(head.AsSpan(1 + n));
        if (m > 0 && head.Length >= 3 + n + m) tracestate = Encoding.ASCII.GetString(head, 3 + n, m);
        return true;
    }
}
