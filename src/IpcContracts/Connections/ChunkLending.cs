using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace IpcContracts.Connections;

/// <summary>
/// A receiving stream of binary items whose items may live in pooled buffers, lent to one consumer that promises to be
/// done with an item when it asks for the next one (or disposes): the <see cref="Runtime.ChunkReadStream"/> behind a
/// <c>Stream</c> or <c>PipeReader</c> parameter or result. Any other consumer of an <c>IAsyncEnumerable</c> of bytes keeps
/// its items, so it gets arrays of its own (docs/semantics.md, "Bytes as bytes").
/// </summary>
internal interface IChunkLender
{
    /// <summary>From now on, binary items are lent from the pool; each goes back when the next is asked for.</summary>
    void LendChunks();
}

/// <summary>The pooled buffers of a lending stream (<see cref="IChunkLender"/>), one per item.</summary>
internal static class ChunkLending
{
    /// <summary>Largest item lent from the pool (the chunks of a Stream are at most 256 KiB); a larger one is an array of its own.</summary>
    public const int MaxLent = 1024 * 1024;

    /// <summary>
    /// The item for <paramref name="payload"/> when the stream lends: a pooled buffer holding its bytes
    /// (<paramref name="lent"/>), or false when T is not <see cref="ReadOnlyMemory{T}"/> of bytes or the item is too large.
    /// </summary>
    public static bool TryLend<T>(in ReadOnlySequence<byte> payload, out T item, out byte[]? lent)
    {
        if (typeof(T) != typeof(ReadOnlyMemory<byte>) || payload.Length > MaxLent || payload.IsEmpty)
        {
            item = default!;
            lent = null;
            return false;
        }
        var length = (int)payload.Length;
        if (t_offered is { } offered && IsExactly(payload, offered))
        {
            // The chunk was read straight into this pooled buffer (LargeFrame): lent as it is, no copy.
            t_offered = null;
            lent = offered;
        }
        else
        {
            lent = ArrayPool<byte>.Shared.Rent(length);
            payload.CopyTo(lent);
        }
        var memory = new ReadOnlyMemory<byte>(lent, 0, length);
        item = Unsafe.As<ReadOnlyMemory<byte>, T>(ref memory);
        return true;
    }

    // The pooled buffer a large chunk was read into (LargeFrame), while the reader thread handles that frame. Only an item
    // made from exactly its first bytes, in one piece, takes it, and only once.
    [ThreadStatic] private static byte[]? t_offered;

    private static bool IsExactly(in ReadOnlySequence<byte> payload, byte[] array) =>
        payload.IsSingleSegment && MemoryMarshal.TryGetArray(payload.First, out var segment) &&
        ReferenceEquals(segment.Array, array) && segment.Offset == 0;

    /// <summary>Offers a pooled buffer holding a chunk to the lending consumer while the reader thread handles its frame.</summary>
    public static void Offer(byte[] pooled) => t_offered = pooled;

    /// <summary>Ends the offer once the frame has been handled; a buffer no consumer took goes back to the pool here.</summary>
    public static void Revoke()
    {
        if (t_offered is { } untaken) ArrayPool<byte>.Shared.Return(untaken);
        t_offered = null;
    }

    /// <summary>Gives a lent buffer back (null: nothing was lent). Called once per buffer, by the consumer.</summary>
    public static void Return(ref byte[]? lent)
    {
        if (lent is null) return;
        ArrayPool<byte>.Shared.Return(lent);
        lent = null;
    }
}
