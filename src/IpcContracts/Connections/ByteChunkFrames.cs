using System.Buffers;
using IpcContracts.Protocol;
using IpcContracts.Runtime;

namespace IpcContracts.Connections;

/// <summary>
/// Sends the bytes of a <c>Stream</c> or <c>PipeReader</c> argument or result as binary StreamItem frames
/// (docs/protocol.md 7.9 and 7.10), read straight from the source into each frame's buffer: one copy on the sending side
/// (the source's into the frame) where enumerating chunks cost two, and chunks as large as the credit allows, up to
/// <see cref="MaxChunk"/>, so 24 MiB is 24 frames on a socket (96 where chunks stay below 256 KiB), sends and wake-ups of the reader instead of 384.
/// </summary>
internal static class ByteChunkFrames
{
    /// <summary>
    /// Largest chunk: header and chunk fill one 1 MiB pooled array (the pool rounds a request up to a power of two). A chunk
    /// this large is read by the receiver straight from the transport into the pooled buffer its consumer is lent
    /// (LargeFrame, ChunkLending) instead of through the pipe and a copy, and is one frame, credit check and hand-off to
    /// the consumer per MiB, not per 256 KiB.
    /// </summary>
    public const int MaxChunk = 1024 * 1024 - FrameHeader.Size;

    /// <summary>
    /// Largest chunk elsewhere (<see cref="IpcConnection.TakesLargeChunks"/>): shm, whose ring is 1 MiB by default; a
    /// broker, whose messages are at most 1 MiB with their headers by default; inproc. Header and chunk fill 256 KiB.
    /// </summary>
    public const int MaxBufferedChunk = 256 * 1024 - FrameHeader.Size;

    /// <summary>
    /// Smallest chunk asked of the source while the producer still has credit (a source may return less): below it a chunk
    /// follows the credit left, so a stream never holds more than the window plus 64 KiB ahead of its reader, as with the
    /// fixed 64 KiB chunks before, and a nearly spent window does not end in slivers.
    /// </summary>
    public const int MinChunk = ByteStreams.ChunkSize;

    /// <summary>
    /// Reads <paramref name="source"/> to its end into StreamItem frames under <paramref name="credit"/>; false when the
    /// connection stopped taking frames (it is closing). Throws what the source or the wait throws; the source is closed
    /// (<see cref="ByteChunkSource.CloseAsync"/>) however it ends.
    /// </summary>
    public static async ValueTask<bool> SendAsync(ByteChunkSource source, ProducerCredit credit, FrameHeaderTemplate template,
        IpcConnection connection, CancellationToken token)
    {
        var max = Math.Min(connection.TakesLargeChunks ? MaxChunk : MaxBufferedChunk, connection.Options.MaxPayloadLength);
        try
        {
            await source.OpenAsync(token).ConfigureAwait(false);
            if (source.MemorySource is { } memory)
            {
                // The bytes are in memory already: send slices of that array (the transport copies them once, into the
                // socket or the ring) instead of copying them into each frame first. CopyToAsync hands the sink the
                // array itself (MemoryStream's own override); the sink keeps to the credit as the loop below does.
                var sink = new BorrowingSink(credit, template, connection, max);
                try
                {
                    await memory.CopyToAsync(sink, source.ReadToken).ConfigureAwait(false);
                }
                finally
                {
                    // Nothing may read the array once the stream has ended here (a result is disposed next): the frames
                    // still queued are written within the window, or released when the connection closes.
                    await sink.Lease.WhenReleasedAsync().ConfigureAwait(false);
                }
                return !sink.Closed;
            }
            while (true)
            {
                token.ThrowIfCancellationRequested(); // a source that ignores its token still stops here
                await credit.WaitAsync(token).ConfigureAwait(false);
                var size = NextChunk(credit, max);
                var buffer = ArrayPool<byte>.Shared.Rent(FrameHeader.Size + size);
                int read;
                try
                {
                    read = await source.ReadAsync(buffer.AsMemory(FrameHeader.Size, size)).ConfigureAwait(false);
                }
                catch
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    throw;
                }
                if (read == 0)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    return true;
                }
                var frame = FrameBuilder.BinaryItem(template, buffer, read);
                credit.Spend(frame);
                if (!connection.TrySend(frame)) return false;
            }
        }
        finally
        {
            await source.CloseAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The next chunk's size, once the credit has room: as large as the credit left, up to <paramref name="max"/>, and at
    /// least <see cref="MinChunk"/> so a nearly spent window does not end in slivers.
    /// </summary>
    private static int NextChunk(ProducerCredit credit, int max) => (int)Math.Min(max, Math.Max(credit.Available, MinChunk));

    /// <summary>
    /// The destination a <see cref="MemoryStream"/> source copies itself to: each write is sent as StreamItem frames
    /// that reference the written memory (<see cref="FrameBuilder.BorrowedBinaryItem"/>), each as large as the credit
    /// allows up to the largest chunk. A slice below <see cref="FrameBuilder.BorrowMinimum"/> (a window's sliver, the
    /// last bytes) is copied into its frame instead: there the copy costs less than writing it apart.
    /// </summary>
    /// <remarks>
    /// A write returns once its frames are queued, not written; the sender then waits for their release
    /// (<see cref="StreamChunkLease.WhenReleasedAsync"/>) before it ends the stream (docs/semantics.md, "The caller's buffer").
    /// </remarks>
    private sealed class BorrowingSink(ProducerCredit credit, FrameHeaderTemplate template, IpcConnection connection, int max) : Stream
    {
        /// <summary>The connection stopped taking frames (it is closing): the rest was not sent.</summary>
        public bool Closed { get; private set; }

        /// <summary>Counts the frames that still reference the written memory.</summary>
        public StreamChunkLease Lease { get; } = new();

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
        {
            while (!data.IsEmpty && !Closed)
            {
                cancellationToken.ThrowIfCancellationRequested();
                await credit.WaitAsync(cancellationToken).ConfigureAwait(false);
                var size = Math.Min(data.Length, NextChunk(credit, max));
                var chunk = data[..size];
                OutgoingFrame frame;
                if (size >= FrameBuilder.BorrowMinimum) frame = FrameBuilder.BorrowedBinaryItem(template, chunk, Lease);
                else
                {
                    var buffer = ArrayPool<byte>.Shared.Rent(FrameHeader.Size + size);
                    chunk.CopyTo(buffer.AsMemory(FrameHeader.Size));
                    frame = FrameBuilder.BinaryItem(template, buffer, size);
                }
                credit.Spend(frame);
                if (!connection.TrySend(frame)) Closed = true;
                data = data[size..];
            }
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Write(byte[] buffer, int offset, int count) =>
            throw new NotSupportedException("Written only asynchronously (MemoryStream.CopyToAsync).");

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
