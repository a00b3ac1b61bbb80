using System.Buffers;
using System.Runtime.InteropServices;

namespace IpcContracts.Connections;

/// <summary>
/// 64 KiB of native memory holding part of a queue's backlog of small frames: the send queue's coalesced frames
/// (<see cref="OutgoingFrame.Block"/>) and the receive side's queued events (<see cref="InboundEventQueue"/>).
/// </summary>
/// <remarks>
/// <para>Why native memory: a backlog is as deep as a flood outruns its subscriber (200,000 events back to back queue
/// some 20 MB), and pooled arrays cannot supply that. <see cref="ArrayPool{T}.Shared"/> keeps a few arrays per size
/// (8 per core), so every block beyond them was a new 64 KiB array on the collected heap, 40-100 B per event of a flood
/// (docs/benchmarks.md, "Bytes per event, round three"), and a retained pool of our own would only help from the second
/// flood that deep on, holding its memory for good. A block here is allocated when the backlog grows, freed when it
/// drains, and never moved or scanned by a collection in between.</para>
/// <para>A few free blocks are kept for the next burst (<see cref="Kept"/>); the rest are freed at once. The memory is
/// valid from <see cref="Rent"/> to <see cref="Return"/>: every holder keeps its own reference count and returns the
/// block once, after the last reader is done (as with a pooled array, whose reuse is what a late reader would see).
/// There is no finalizer (a span over the memory does not keep this object alive, CA2015), so every owner returns its
/// blocks on every path, closing included: the send queue releases what it holds when its writer ends or fails, the
/// event queue's loop delivers (or drops) everything queued before it ends, and the reader gives its current block
/// back when the read loop ends (<see cref="InboundEventQueue.ReaderDone"/>).</para>
/// </remarks>
internal sealed unsafe class BacklogBlock : MemoryManager<byte>
{
    /// <summary>Bytes per block: below the large-object threshold of the arrays it replaces, hundreds of small frames.</summary>
    public const int Size = 64 * 1024;

    /// <summary>Free blocks kept, process-wide, with their memory: 1 MiB, what the shared array pool kept of this size.</summary>
    private const int Kept = 16;

    private static readonly BacklogBlock?[] s_free = new BacklogBlock?[Kept];
    private static int s_freeCount;
    private static readonly Lock s_lock = new();

    private static long s_outstanding;

    private byte* _memory;

    /// <summary>Blocks rented and not yet returned, process-wide (tests: a closed connection gives every block back).</summary>
    internal static long Outstanding => Interlocked.Read(ref s_outstanding);

    private BacklogBlock() => _memory = (byte*)NativeMemory.Alloc(Size);

    /// <summary>A block of <see cref="Size"/> bytes (contents undefined), kept or new.</summary>
    public static BacklogBlock Rent()
    {
        Interlocked.Increment(ref s_outstanding);
        lock (s_lock)
        {
            if (s_freeCount > 0)
            {
                var kept = s_free[--s_freeCount]!;
                s_free[s_freeCount] = null;
                return kept;
            }
        }
        return new BacklogBlock();
    }

    /// <summary>Gives the block back (once, by its last holder): kept for the next burst, or its memory freed (the object is then done with).</summary>
    public void Return()
    {
        Interlocked.Decrement(ref s_outstanding);
        lock (s_lock)
        {
            if (s_freeCount < Kept)
            {
                s_free[s_freeCount++] = this;
                return;
            }
        }
        var memory = _memory;
        _memory = null;
        NativeMemory.Free(memory);
    }

    /// <summary>The whole block as a span.</summary>
    public override Span<byte> GetSpan() => new(_memory, Size);

    /// <inheritdoc />
    // Native memory never moves: nothing to pin.
    public override MemoryHandle Pin(int elementIndex = 0) => new(_memory + elementIndex);

    /// <inheritdoc />
    public override void Unpin() { }

    /// <inheritdoc />
    // Freed through Return, not through IDisposable: holders share the block by their own count.
    protected override void Dispose(bool disposing) { }
}
