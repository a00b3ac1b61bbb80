using System.Buffers;
using System.ComponentModel;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;

namespace IpcContracts.Runtime;

/// <summary>
/// Maps <see cref="Stream"/> and <see cref="PipeReader"/> parameters and results onto a stream of byte chunks, so bytes of
/// any length reuse the stream machinery (credit window, cancellation, faults) and travel raw (docs/protocol.md, "Binary
/// payloads"). Emitted by the generator. A chunk handed out is valid until the next one is asked for, which lets the
/// readers here reuse one buffer; the connection does not enumerate them at all but reads straight into its frames
/// (<see cref="ByteChunkSource"/>).
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class ByteStreams
{
    /// <summary>
    /// The size of the chunks a <see cref="Stream"/> is read in when its chunks are enumerated (the connection itself reads
    /// a stream straight into its frames, in chunks as large as the credit allows: <c>Connections/ByteChunkFrames</c>).
    /// </summary>
    public const int ChunkSize = 64 * 1024;

    // ---- the side that has the bytes: a Stream or PipeReader becomes chunks ----

    /// <summary>A caller's <see cref="Stream"/> argument as chunks. The caller owns the stream: it is read, not disposed.</summary>
    /// <exception cref="ArgumentException">The stream cannot be read (<see cref="Stream.CanRead"/> is false: write-only, or disposed).</exception>
    public static IAsyncEnumerable<ReadOnlyMemory<byte>> Chunks(Stream stream, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        // Said here, at the call, rather than when the first credit arrives and the read fails: by then it would reach
        // the caller as the handler's error about the caller's own stream.
        if (!stream.CanRead)
            throw new ArgumentException("A Stream argument must be readable (CanRead is false: the stream is write-only or already disposed); the call reads it to its end to send it.", nameof(stream));
        return ByteChunkSource.FromStream(stream, cancellationToken);
    }

    /// <summary>A caller's <see cref="PipeReader"/> argument as chunks. It is read to its end, not completed.</summary>
    public static IAsyncEnumerable<ReadOnlyMemory<byte>> Chunks(PipeReader reader, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(reader);
        return ByteChunkSource.FromPipe(reader, cancellationToken);
    }

    /// <summary>A handler's <see cref="Stream"/> result as chunks; the stream is disposed once sent, failed or cancelled.</summary>
    public static IAsyncEnumerable<ReadOnlyMemory<byte>> Chunks(Task<Stream> result, CancellationToken cancellationToken = default) =>
        ByteChunkSource.FromResult(result, cancellationToken);

    /// <inheritdoc cref="Chunks(Task{Stream}, CancellationToken)"/>
    public static IAsyncEnumerable<ReadOnlyMemory<byte>> Chunks(ValueTask<Stream> result, CancellationToken cancellationToken = default) =>
        Chunks(result.AsTask(), cancellationToken);

    /// <summary>A handler's <see cref="PipeReader"/> result as chunks; the reader is completed once sent, failed or cancelled.</summary>
    public static IAsyncEnumerable<ReadOnlyMemory<byte>> Chunks(Task<PipeReader> result, CancellationToken cancellationToken = default) =>
        ByteChunkSource.FromResult(result, cancellationToken);

    /// <inheritdoc cref="Chunks(Task{PipeReader}, CancellationToken)"/>
    public static IAsyncEnumerable<ReadOnlyMemory<byte>> Chunks(ValueTask<PipeReader> result, CancellationToken cancellationToken = default) =>
        Chunks(result.AsTask(), cancellationToken);

    // ---- the side that receives the bytes: chunks become a Stream or PipeReader ----

    /// <summary>
    /// A caller's <see cref="Stream"/> result: completes once the first chunk (or the end, or the call's error) has arrived,
    /// so a failed call throws here, then reads the rest as it arrives. Disposing the stream early cancels the producer.
    /// </summary>
    public static async Task<Stream> ReadStreamAsync(IAsyncEnumerable<ReadOnlyMemory<byte>> chunks, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(chunks);
        var enumerator = chunks.GetAsyncEnumerator(cancellationToken);
        // The stream is done with each chunk when it asks for the next: the chunks may be lent from a pool. (Items already
        // received before this are arrays of their own; that is fine too.)
        if (enumerator is Connections.IChunkLender lender) lender.LendChunks();
        bool first;
        try
        {
            first = await enumerator.MoveNextAsync().ConfigureAwait(false);
        }
        catch
        {
            await enumerator.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        return new ChunkReadStream(enumerator, first);
    }

    /// <summary>A caller's <see cref="PipeReader"/> result; see <see cref="ReadStreamAsync"/>.</summary>
    public static async Task<PipeReader> ReadPipeAsync(IAsyncEnumerable<ReadOnlyMemory<byte>> chunks, CancellationToken cancellationToken = default) =>
        PipeReader.Create(await ReadStreamAsync(chunks, cancellationToken).ConfigureAwait(false), new StreamPipeReaderOptions(leaveOpen: false));

    /// <summary>A handler's <see cref="Stream"/> argument: reads the caller's bytes as the handler asks for them.</summary>
    public static Stream AsStream(IAsyncEnumerable<ReadOnlyMemory<byte>> chunks)
    {
        ArgumentNullException.ThrowIfNull(chunks);
        var enumerator = chunks.GetAsyncEnumerator();
        if (enumerator is Connections.IChunkLender lender) lender.LendChunks(); // as in ReadStreamAsync
        return new ChunkReadStream(enumerator, hasCurrent: null);
    }

    /// <summary>A handler's <see cref="PipeReader"/> argument.</summary>
    public static PipeReader AsPipeReader(IAsyncEnumerable<ReadOnlyMemory<byte>> chunks) =>
        PipeReader.Create(AsStream(chunks), new StreamPipeReaderOptions(leaveOpen: false));
}
