namespace IpcContracts.Transports;

/// <summary>
/// A transport's <see cref="System.IO.Pipelines.PipeWriter"/> that can also send several caller-owned buffers in one
/// system call (a gathered send). The send path uses it for large frames queued back to back, so a run of 64 KiB
/// stream chunks leaves in one send instead of one send (and one wake-up of the reader) per chunk.
/// </summary>
internal interface IGatheringWriter
{
    /// <summary>
    /// Sends what the writer has buffered, then <paramref name="buffers"/> in order, without copying them. Like
    /// <see cref="System.IO.Pipelines.PipeWriter.WriteAsync"/> it never blocks: when the peer has no room it returns a
    /// pending task. The buffers must stay unchanged until the returned task completes.
    /// </summary>
    ValueTask<System.IO.Pipelines.FlushResult> WriteGatheredAsync(IReadOnlyList<ReadOnlyMemory<byte>> buffers);
}
