using System.Buffers;

namespace IpcContracts.Nats;

/// <summary>
/// Frames that reach this connection's reply subjects in parts (docs/protocol.md section 9, "A frame in parts"): a Response,
/// Error or StreamItem larger than the broker's <c>max_payload</c> is published as consecutive NATS messages on the call's
/// reply subject, the first starting with the frame header, whose length says how many bytes follow. One process publishes
/// to a call's reply subject and NATS keeps one publisher's order on a subject, so the parts arrive in order and nothing of
/// another frame for that call comes between them.
/// </summary>
/// <remarks>
/// What is held is bounded as a socket transport bounds a large frame: one frame per call in flight, each at most
/// <see cref="IpcOptions.MaxPayloadLength"/>; a frame's bytes are dropped when the call ends (its Cancel, no responders,
/// or the connection's end), so a publisher that stops inside a frame costs this side until the call's deadline at most.
/// </remarks>
internal sealed class ReplyParts
{
    // Taken on the NATS client's reader, dropped from the connection's sender (a Cancel) too: under one lock, so a frame's
    // array never goes back to the pool while a part is being copied into it. Only large frames come here.
    private readonly Dictionary<ulong, Assembly> _frames = new();

    /// <summary>The outcome of <see cref="Take"/>.</summary>
    public enum Outcome
    {
        /// <summary>Not a part: the message is handled as it is (one whole frame, or something to ignore).</summary>
        NotAPart,

        /// <summary>Taken; the frame is not whole yet.</summary>
        Held,

        /// <summary>The last part: the whole frame is in the out argument (a pooled array: give it to <see cref="Return"/>).</summary>
        Whole,

        /// <summary>A first part whose frame is longer than this side takes: nothing is held; the call fails with that reason.</summary>
        TooLarge,
    }

    /// <summary>
    /// Takes a message that reached call <paramref name="id"/>'s reply subject. A message continues the frame held for the
    /// call, if any; otherwise, when the call is <paramref name="pending"/>, it starts one when it begins with a frame header
    /// for that call (<paramref name="header"/>) whose frame is longer than the message. <paramref name="maxPayload"/> bounds
    /// the frame's payload.
    /// </summary>
    public Outcome Take(ulong id, in ReadOnlySequence<byte> message, bool pending, bool headerRead, in WireFrame.Header header, long maxPayload,
        out byte[] whole, out int length)
    {
        whole = [];
        length = 0;
        lock (_frames)
        {
            if (_frames.TryGetValue(id, out var assembly))
            {
                if (assembly.Filled + message.Length > assembly.Length)
                {
                    // More than the frame said: not this frame's part, and the held bytes cannot be completed any more.
                    DropLocked(id);
                    return Outcome.NotAPart;
                }
                assembly.Append(message);
                if (assembly.Filled < assembly.Length) return Outcome.Held;
                _frames.Remove(id);
                whole = assembly.Bytes;
                length = assembly.Length;
                return Outcome.Whole;
            }
            if (!pending || !headerRead || header.CorrelationId != id || header.FrameLength <= message.Length) return Outcome.NotAPart;
            if (header.Kind is not (WireFrame.Response or WireFrame.Error or WireFrame.StreamItem)) return Outcome.NotAPart;
            if (header.PayloadLength > maxPayload) return Outcome.TooLarge;
            var started = new Assembly((int)header.FrameLength, (int)message.Length);
            started.Append(message);
            _frames[id] = started;
            return Outcome.Held;
        }
    }

    /// <summary>The call ended: what is held of its frame is dropped.</summary>
    public void Drop(ulong id)
    {
        lock (_frames) DropLocked(id);
    }

    /// <summary>The connection ended: everything held is dropped.</summary>
    public void Clear()
    {
        lock (_frames)
        {
            foreach (var assembly in _frames.Values) ArrayPool<byte>.Shared.Return(assembly.Bytes);
            _frames.Clear();
        }
    }

    private void DropLocked(ulong id)
    {
        if (_frames.Remove(id, out var assembly)) ArrayPool<byte>.Shared.Return(assembly.Bytes);
    }

    /// <summary>Gives back the array of a frame that <see cref="Take"/> returned whole, once it has been handed on.</summary>
    public static void Return(byte[] whole) => ArrayPool<byte>.Shared.Return(whole);

    /// <summary>
    /// One frame being put together. Its array grows with what arrives (twice the bytes held, up to the frame's length)
    /// rather than being taken at the length the first part's header claims: what a publisher makes this side hold is
    /// bounded by what it actually sent, not by a header.
    /// </summary>
    private sealed class Assembly(int length, int firstPart)
    {
        public byte[] Bytes { get; private set; } = ArrayPool<byte>.Shared.Rent(Math.Min(length, Math.Max(4 * firstPart, 64 * 1024)));
        public int Length { get; } = length;
        public int Filled { get; private set; }

        public void Append(in ReadOnlySequence<byte> message)
        {
            var needed = Filled + (int)message.Length;
            if (needed > Bytes.Length)
            {
                var larger = ArrayPool<byte>.Shared.Rent(Math.Min(Length, Math.Max(needed, 2 * Bytes.Length)));
                Bytes.AsSpan(0, Filled).CopyTo(larger);
                ArrayPool<byte>.Shared.Return(Bytes);
                Bytes = larger;
            }
            message.CopyTo(Bytes.AsSpan(Filled));
            Filled = needed;
        }
    }
}
