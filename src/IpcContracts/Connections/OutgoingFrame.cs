using System.Buffers;

namespace IpcContracts.Connections;

/// <summary>
/// A complete frame (header + payload) in one pooled array. Reference-counted so a published event
/// is serialized once and shared by every connection it fans out to.
/// </summary>
/// <remarks>
/// A Request with a large binary argument may instead <em>borrow</em> the caller's memory for its binary section
/// (<see cref="CreateBorrowing"/>): the pooled array then holds the head (header, trace prefix, argument object) and the
/// 4-byte trailer, and the frame on the wire is <see cref="Head"/>, <see cref="Body"/>, <see cref="Trailer"/> in that
/// order. Such a frame is never shared and never copied whole (<see cref="Memory"/> refuses it); when it is released the
/// send path is done with the caller's memory, which its <see cref="BorrowedArgument"/> tells the call.
/// </remarks>
internal sealed class OutgoingFrame
{
    private byte[]? _buffer;
    private BacklogBlock? _block;           // a block of coalesced frames (Block): its memory instead of _buffer
    private int _length;
    private int _refs = 1;
    private readonly bool _pooled;
    private int _headLength;                // borrowing frames: bytes of the array before the trailer
    private ReadOnlyMemory<byte> _body;     // borrowing frames: the caller's bytes
    private int _trailerLength;             // borrowing frames: bytes of the array after the head (a Request's binary trailer, or none)
    private FrameLease? _borrowed;

    /// <summary>A frame that is not reused after its release (tests hold on to theirs to check who released them).</summary>
    internal OutgoingFrame(byte[] buffer, int length)
    {
        _buffer = buffer;
        _length = length;
    }

    /// <summary>As <see cref="CreateBorrowing"/>, not reused after its release (for tests, as above).</summary>
    internal OutgoingFrame(byte[] buffer, int headLength, ReadOnlyMemory<byte> body, BorrowedArgument borrowed)
        : this(buffer, headLength + body.Length + Protocol.BinarySection.TrailerSize)
    {
        _headLength = headLength;
        _trailerLength = Protocol.BinarySection.TrailerSize;
        _body = body;
        _borrowed = borrowed;
    }

    private OutgoingFrame() => _pooled = true;

    // Every call sends two frames and every event one: the frame objects are reused instead of allocated each time. Frames
    // are usually built and released on the same thread (the sender writes on the queuing thread when it is idle), so one
    // spare per thread, then a few shared ones.
    [ThreadStatic] private static OutgoingFrame? t_spare;
    private static readonly OutgoingFrame?[] s_spares = new OutgoingFrame?[16];

    /// <summary>A frame over <paramref name="buffer"/> (rented from <see cref="ArrayPool{T}.Shared"/>), which it now owns.</summary>
    public static OutgoingFrame Create(byte[] buffer, int length)
    {
        var frame = Spare();
        frame._length = length;
        frame._refs = 1;
        Volatile.Write(ref frame._buffer, buffer);
        return frame;
    }

    private static OutgoingFrame Spare()
    {
        var frame = t_spare;
        if (frame is not null) t_spare = null;
        else
        {
            for (var i = 0; i < s_spares.Length && frame is null; i++)
                frame = Interlocked.Exchange(ref s_spares[i], null);
            frame ??= new OutgoingFrame();
        }
        return frame;
    }

    /// <summary>
    /// A frame whose binary section is the caller's <paramref name="body"/>, not a copy: <paramref name="buffer"/> holds
    /// the first <paramref name="headLength"/> bytes of the frame followed by its last <paramref name="trailerLength"/>
    /// bytes (a Request's 4-byte binary trailer; none for a StreamItem chunk).
    /// </summary>
    public static OutgoingFrame CreateBorrowing(byte[] buffer, int headLength, ReadOnlyMemory<byte> body, FrameLease borrowed,
        int trailerLength = Protocol.BinarySection.TrailerSize)
    {
        var frame = Create(buffer, headLength + body.Length + trailerLength);
        frame._headLength = headLength;
        frame._trailerLength = trailerLength;
        frame._body = body;
        frame._borrowed = borrowed;
        return frame;
    }

    /// <summary>The whole frame in one piece; not for a frame that borrows the caller's memory (see <see cref="Head"/>).</summary>
    public ReadOnlyMemory<byte> Memory
    {
        get
        {
            if (_block is { } block) return block.Memory[.._length];
            var buffer = _buffer ?? throw new ObjectDisposedException(nameof(OutgoingFrame));
            if (_borrowed is not null) throw new InvalidOperationException("This frame borrows the caller's memory: write its Head, Body and Trailer.");
            return buffer.AsMemory(0, _length);
        }
    }

    /// <summary>Set when the binary section is the caller's memory (<see cref="CreateBorrowing"/>); null for a frame in one piece.</summary>
    public FrameLease? Borrowed => _borrowed;

    /// <summary>A borrowing frame's header, trace prefix and argument object.</summary>
    public ReadOnlyMemory<byte> Head => (_buffer ?? throw new ObjectDisposedException(nameof(OutgoingFrame))).AsMemory(0, _headLength);

    /// <summary>A borrowing frame's binary section: the caller's memory.</summary>
    public ReadOnlyMemory<byte> Body => _body;

    /// <summary>A borrowing frame's bytes after the caller's: a Request's binary section length (docs/protocol.md 7.10), or empty.</summary>
    public ReadOnlyMemory<byte> Trailer => (_buffer ?? throw new ObjectDisposedException(nameof(OutgoingFrame))).AsMemory(_headLength, _trailerLength);

    public int Length => _length;

    /// <summary>
    /// An empty block of <see cref="BacklogBlock.Size"/> bytes that a send queue fills with several small frames
    /// (<see cref="TryAppend"/>), so each of them can give its own pooled buffer back at once. Its memory is a
    /// <see cref="BacklogBlock"/>: a queue behind a slow peer holds as many blocks as its backlog needs, more than an
    /// array pool keeps.
    /// </summary>
    public static OutgoingFrame Block()
    {
        var frame = Spare();
        frame._length = 0;
        frame._refs = 1;
        Volatile.Write(ref frame._block, BacklogBlock.Rent());
        return frame;
    }

    /// <summary>Appends bytes to a block (<see cref="Block"/>) that only its owner holds (refcount 1); false when they do not fit.</summary>
    public bool TryAppend(ReadOnlySpan<byte> bytes)
    {
        var block = _block ?? throw new ObjectDisposedException(nameof(OutgoingFrame));
        if (BacklogBlock.Size - _length < bytes.Length) return false;
        bytes.CopyTo(block.GetSpan()[_length..]);
        _length += bytes.Length;
        return true;
    }

    /// <summary>References still held (for tests of who gave the frame back).</summary>
    internal int References => Volatile.Read(ref _refs);

    public void AddRef() => Interlocked.Increment(ref _refs);

    /// <summary>
    /// Drops one reference; the last one returns the buffer and, for a pooled frame, the frame itself for reuse. Every
    /// holder releases exactly once and touches the frame no more (the sender's tests check it): a late second release
    /// could otherwise hit the frame's next use.
    /// </summary>
    public void Release()
    {
        if (Interlocked.Decrement(ref _refs) != 0) return;
        if (Interlocked.Exchange(ref _block, null) is { } block)
        {
            block.Return();
            if (_pooled) Pool();
            return;
        }
        var buffer = Interlocked.Exchange(ref _buffer, null);
        if (buffer is null) return;
        ArrayPool<byte>.Shared.Return(buffer);
        // Every holder is done: nothing reads the caller's memory any more. Taken before the frame can be reused.
        var borrowed = _borrowed;
        _borrowed = null;
        _body = default;
        if (_pooled) Pool();
        borrowed?.Finished();
    }

    private void Pool()
    {
        if (t_spare is null)
        {
            t_spare = this;
            return;
        }
        for (var i = 0; i < s_spares.Length; i++)
        {
            if (Interlocked.CompareExchange(ref s_spares[i], this, null) is null) return;
        }
    }
}
