namespace IpcContracts.Transports;

/// <summary>
/// A <see cref="IDirectReader"/> that can also show the next unread bytes without taking them. The core uses it, when it
/// has consumed everything the connection's <c>Input</c> returned (so the next byte starts a frame), to see whether the
/// next frame is a chunk of a <c>Stream</c> it should read straight into the chunk's pooled buffer
/// (<see cref="IDirectReader.ReadDirectAsync"/>) instead of letting a pipe read take it (shm: the ring would be drained
/// into the reader's private pipe, and the chunk copied out of it once more).
/// </summary>
/// <remarks>
/// Same rules as <see cref="IDirectReader"/>: called only with the pipe empty and no pipe read pending. Only for a transport
/// whose reads block their thread (<see cref="TransportFeatures.BlockingReads"/>): the peek waits as its pipe read would.
/// </remarks>
internal interface IPeekingReader : IDirectReader
{
    /// <summary>
    /// With <paramref name="wait"/>, waits until at least one byte is unread (as a pipe read of this transport waits:
    /// bounded by the end of the stream, the connection closing and <paramref name="cancellationToken"/>); then copies the
    /// first <paramref name="destination"/>.Length unread bytes into it without consuming them, when that many are there.
    /// Returns how many bytes are unread in all, so fewer than <paramref name="destination"/>.Length means nothing was
    /// copied; 0 also at the end of the stream or when the pipe read should report something (the core then reads the pipe).
    /// </summary>
    long Peek(Span<byte> destination, bool wait, CancellationToken cancellationToken);
}
