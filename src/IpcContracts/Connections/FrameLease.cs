namespace IpcContracts.Connections;

/// <summary>
/// Memory outside the frame's own buffer that a frame's binary section references instead of copying it
/// (<see cref="OutgoingFrame.CreateBorrowing"/>), and what the send path tells its owner: when it is about to hand the
/// memory to the transport, and when it reads it no more.
/// </summary>
/// <remarks>
/// Two owners: a Request's large binary argument (<see cref="BorrowedArgument"/>, whose call waits for the write), and
/// the array behind a <see cref="MemoryStream"/> that a <c>Stream</c> argument or result sends in chunks
/// (<see cref="StreamChunkLease"/>, whose chunks are written whatever happens, since the peer reads them in order).
/// </remarks>
internal abstract class FrameLease
{
    /// <summary>
    /// The sender is about to hand the memory to the transport. False: the frame must be dropped without a byte of it
    /// sent (nothing of it is on the wire yet, so the stream of frames stays whole).
    /// </summary>
    public abstract bool TryStartWrite();

    /// <summary>The frame was released (written, failed, or dropped unsent): the send path reads the memory no more.</summary>
    public abstract void Finished();
}
