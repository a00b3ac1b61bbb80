using System.Buffers;
using System.Runtime.InteropServices;
using System.Text.Json;
using IpcContracts.Protocol;

namespace IpcContracts.Connections;

/// <summary>
/// A large binary frame read straight into the array its receiver gets (docs/benchmarks.md, "Fewer copies for large
/// payloads"). The receiver of a binary argument or result owns its bytes (docs/semantics.md, "Bytes as bytes"), so they
/// must end up in an array of their own; instead of assembling the frame in pipe segments and copying it out, the read
/// loop allocates that array once the frame's layout is known and the transport reads the rest of the frame into it.
/// </summary>
/// <remarks>
/// Read this way: a Request with the Binary flag (its argument object and trailer go into small arrays of their own, so
/// the binary section is one whole array) and a Response with the Binary flag (the payload is the bytes), of at least
/// <see cref="Threshold"/> bytes; a binary StreamItem (a chunk of a <c>Stream</c> or <c>PipeReader</c>) of at least
/// <see cref="ChunkThreshold"/> bytes, read into a pooled buffer that a lending consumer takes as its chunk
/// (<see cref="ChunkLending"/>); and a JSON Request, Response, StreamItem or Progress of at least <see cref="Threshold"/>
/// bytes, read into a pooled buffer, parsed there in one piece and given back (<see cref="Scratch"/>). Each only once a
/// sixteenth of the payload has arrived: a frame header alone commits no memory beyond what the peer has sent. On shm a
/// Stream's chunk (256 KiB) usually arrives whole, so the pipe read would drain it into the reader's buffer before the
/// loop sees it: there the loop peeks at the next frame's header in the ring after a chunk (<see cref="TryPlanPeeked"/>)
/// and reads the chunk from the ring into its pooled buffer. Everything else is read through the pipe as before.
/// </remarks>
internal sealed class LargeFrame
{
    /// <summary>Smallest payload read this way: below it the pipe's copy costs less than a fresh array's page faults.</summary>
    public const int Threshold = 1024 * 1024;

    /// <summary>
    /// Smallest binary StreamItem read this way: a chunk this large rarely arrives whole with its header (the socket
    /// transports read 256 KiB segments; the shm ring holds 1 MiB), and its bytes go to a pooled buffer, not a fresh array.
    /// </summary>
    public const int ChunkThreshold = 256 * 1024;

    private readonly Memory<byte>[] _parts; // [head][bytes][trailer] for a Request, [bytes] for a Response or StreamItem
    private int _part;
    private int _offset;

    public FrameHeader Header { get; }

    /// <summary>The binary section's own array: what the receiver's value becomes.</summary>
    public byte[] Bytes { get; }

    /// <summary>
    /// True when <see cref="Bytes"/> is rented from the pool (a StreamItem: its first <see cref="Header"/>'s payload length
    /// bytes are the chunk): offered to a lending consumer, and given back if none takes it.
    /// </summary>
    public bool Pooled { get; }

    /// <summary>
    /// True when <see cref="Bytes"/> is a pooled buffer holding a JSON payload (its first <see cref="Header"/>'s payload
    /// length bytes): parsed where it is, offered to nobody, and given back to the pool once the frame has been handled.
    /// </summary>
    public bool Scratch { get; }

    private LargeFrame(in FrameHeader header, Memory<byte>[] parts, byte[] bytes, bool pooled = false, bool scratch = false)
    {
        Header = header;
        _parts = parts;
        Bytes = bytes;
        Pooled = pooled;
        Scratch = scratch;
        Advance(0); // skips empty parts, so Remaining is never empty before the end
    }

    /// <summary>
    /// A plan for the frame at the start of <paramref name="buffer"/> when it is a large binary Request, Response or chunk,
    /// or a large JSON Request, Response, StreamItem or Progress, whose payload has not fully arrived; null otherwise (the
    /// pipe reads it as usual).
    /// </summary>
    public static LargeFrame? TryPlan(in ReadOnlySequence<byte> buffer, int maxPayloadLength)
    {
        if (buffer.Length < FrameHeader.Size) return null;
        Span<byte> headerBytes = stackalloc byte[FrameHeader.Size];
        buffer.Slice(0, FrameHeader.Size).CopyTo(headerBytes);
        var header = FrameHeader.Read(headerBytes, maxPayloadLength); // validated already by TryReadFrame
        var length = header.PayloadLength;
        var arrived = buffer.Length - FrameHeader.Size;
        if (arrived >= length || arrived < length / 16) return null;
        if ((header.Flags & FrameFlags.Binary) == 0)
        {
            // A large JSON payload: read into one pooled buffer and parsed there, given back once handled. Through the pipe
            // it would arrive in segments, and parsing a value that spans them costs System.Text.Json a copy into a fresh
            // array whose pages fault in (IpcConnection.ContiguousJsonMinimum). An event's body goes into the event queue's
            // own buffer, so an event stays on the pipe path.
            if (length < Threshold || header.Kind is not (FrameKind.Request or FrameKind.Response or FrameKind.StreamItem or FrameKind.Progress))
                return null;
            var scratch = ArrayPool<byte>.Shared.Rent(length);
            return new LargeFrame(header, [scratch.AsMemory(0, length)], scratch, scratch: true);
        }
        if ((header.Flags & FrameFlags.Bus) != 0) return null;
        if (header.Kind == FrameKind.StreamItem)
        {
            if (length < ChunkThreshold || length > ChunkLending.MaxLent) return null;
            // Credit bounds a chunk like any item; one that exceeds it is refused when handled, as through the pipe.
            var chunk = ArrayPool<byte>.Shared.Rent(length);
            return new LargeFrame(header, [chunk.AsMemory(0, length)], chunk, pooled: true);
        }
        if (length < Threshold) return null;
        if (header.Kind == FrameKind.Response)
        {
            var result = ReceiveArrays.Allocate(length);
            return new LargeFrame(header, [result], result);
        }
        if (header.Kind != FrameKind.Request) return null;
        // [trace-context prefix][argument object][bytes][length u32]: the prefix and the object say where the bytes start.
        var payload = buffer.Slice(FrameHeader.Size);
        var headLength = 0L;
        if ((header.Flags & FrameFlags.TraceContext) != 0)
        {
            var reader = new SequenceReader<byte>(payload);
            if (!reader.TryRead(out var parentLength) || reader.Remaining < parentLength) return null;
            reader.Advance(parentLength);
            if (!reader.TryReadLittleEndian(out short stateLength) || reader.Remaining < (ushort)stateLength) return null;
            reader.Advance((ushort)stateLength);
            headLength = reader.Consumed;
        }
        try
        {
            var json = new Utf8JsonReader(payload.Slice(headLength), isFinalBlock: false, state: default);
            if (!json.Read() || json.TokenType != JsonTokenType.StartObject || !json.TrySkip()) return null;
            headLength += json.BytesConsumed;
        }
        catch (JsonException)
        {
            return null; // not an object: the usual path answers bad_payload
        }
        var bytesLength = length - headLength - BinarySection.TrailerSize;
        if (bytesLength < 0) return null;
        var bytes = ReceiveArrays.Allocate((int)bytesLength);
        // If the trailer then disagrees (bytes between the object and the binary section), the split differs from this
        // plan and the receiver copies, exactly as before; the frame is not refused for it.
        return new LargeFrame(header, [new byte[headLength], bytes, new byte[BinarySection.TrailerSize]], bytes);
    }

    /// <summary>
    /// Smallest binary StreamItem read from a transport that can show its next frame before a pipe read takes it
    /// (<see cref="Transports.IPeekingReader"/>, shm): the pooled buffer is what the lending consumer would be given anyway
    /// (<see cref="ChunkLending.TryLend"/>), so reading into it saves a copy at any size; below this a stream's chunks
    /// are rare (a Stream's are at least <see cref="ByteChunkFrames.MinChunk"/> while it has credit) and the peek is not
    /// worth making after every small item.
    /// </summary>
    public const int PeekedChunkThreshold = 64 * 1024;

    /// <summary>
    /// A plan for a binary StreamItem whose header <paramref name="headerBytes"/> the transport showed before any of it was
    /// read (<see cref="Transports.IPeekingReader"/>), when at least a sixteenth of its payload (all of it, if
    /// <paramref name="whole"/>) is waiting there too; null
    /// otherwise (the pipe reads it as usual, and a bad header is refused there).
    /// </summary>
    public static LargeFrame? TryPlanPeeked(ReadOnlySpan<byte> headerBytes, long waiting, int maxPayloadLength, bool whole)
    {
        FrameHeader header;
        try
        {
            header = FrameHeader.Read(headerBytes, maxPayloadLength);
        }
        catch (IpcProtocolException)
        {
            return null;
        }
        var length = header.PayloadLength;
        if (header.Kind != FrameKind.StreamItem || (header.Flags & FrameFlags.Binary) == 0 || (header.Flags & FrameFlags.Bus) != 0 ||
            length < PeekedChunkThreshold || length > ChunkLending.MaxLent || waiting - FrameHeader.Size < (whole ? length : length / 16))
            return null;
        var chunk = ArrayPool<byte>.Shared.Rent(length);
        return new LargeFrame(header, [chunk.AsMemory(0, length)], chunk, pooled: true);
    }

    /// <summary>True for a frame after which the next may be a chunk worth peeking at (<see cref="PeekedChunkThreshold"/>).</summary>
    public static bool IsPeekableChunk(in FrameHeader header) =>
        header.Kind == FrameKind.StreamItem && (header.Flags & FrameFlags.Binary) != 0 && header.PayloadLength >= PeekedChunkThreshold;

    /// <summary>Takes bytes of the payload in order (the part that had arrived in the pipe).</summary>
    public void Fill(in ReadOnlySequence<byte> source)
    {
        foreach (var segment in source)
        {
            var span = segment.Span;
            while (!span.IsEmpty)
            {
                var target = Remaining;
                var n = Math.Min(target.Length, span.Length);
                span[..n].CopyTo(target.Span);
                span = span[n..];
                Advance(n);
            }
        }
    }

    /// <summary>True once every byte of the payload has been filled in.</summary>
    public bool IsComplete => _part == _parts.Length;

    /// <summary>Where the next payload bytes go (never empty before <see cref="IsComplete"/>).</summary>
    public Memory<byte> Remaining => _parts[_part][_offset..];

    /// <summary>Records <paramref name="count"/> bytes written into <see cref="Remaining"/>.</summary>
    public void Advance(int count)
    {
        _offset += count;
        while (_part < _parts.Length && _offset == _parts[_part].Length)
        {
            _part++;
            _offset = 0;
        }
    }

    /// <summary>The payload, once complete: one segment per part.</summary>
    public ReadOnlySequence<byte> Payload()
    {
        if (_parts.Length == 1) return new ReadOnlySequence<byte>((ReadOnlyMemory<byte>)_parts[0]);
        var first = new Segment(_parts[0], 0);
        var last = first;
        for (var i = 1; i < _parts.Length; i++) last = last.Append(_parts[i]);
        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }

    // ---- handing the array over ----

    // A slice that starts at a segment boundary may begin with an empty end of the previous segment: what counts is
    // that the bytes are one run of the array, all of it.
    private static bool IsExactly(in ReadOnlySequence<byte> bytes, byte[] array)
    {
        foreach (var memory in bytes)
        {
            if (memory.IsEmpty) continue;
            return MemoryMarshal.TryGetArray(memory, out var segment) && ReferenceEquals(segment.Array, array) &&
                segment.Offset == 0 && segment.Count == array.Length;
        }
        return false;
    }

    // The array of the large frame the reader thread is handling now. Only a value made from exactly this array, whole,
    // takes it, and only once: it is never shared by two values, and a frame read through the pipe never has one.
    [ThreadStatic] private static byte[]? t_offered;

    /// <summary>Offers the frame's array to the receiver while the reader thread handles the frame.</summary>
    public static void Offer(byte[] bytes) => t_offered = bytes;

    /// <summary>Ends the offer (the frame has been handled): later values copy.</summary>
    public static void Revoke() => t_offered = null;

    /// <summary>
    /// An array holding <paramref name="bytes"/> that the caller owns: the large frame's own array when
    /// <paramref name="bytes"/> is exactly it and it has not been taken yet, else a copy.
    /// </summary>
    public static byte[] TakeOrCopy(in ReadOnlySequence<byte> bytes)
    {
        var offered = t_offered;
        if (offered is not null && bytes.Length == offered.Length && IsExactly(bytes, offered))
        {
            t_offered = null;
            return offered;
        }
        return bytes.ToArray();
    }
}
