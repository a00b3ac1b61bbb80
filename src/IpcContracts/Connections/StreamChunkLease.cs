namespace IpcContracts.Connections;

/// <summary>
/// The lease shared by the StreamItem frames whose chunks are slices of the array behind one <see cref="MemoryStream"/>
/// source (<see cref="ByteChunkFrames"/>): it counts the frames the send path has not released yet, so the sender can
/// wait until nothing reads the array any more before it ends the stream (and, for a result, disposes the stream). Such a
/// chunk is always written once queued: dropping one from the middle of a stream would leave a gap the reader cannot see.
/// </summary>
internal sealed class StreamChunkLease : FrameLease
{
    private int _outstanding;
    private TaskCompletionSource? _drained;

    /// <summary>A frame referencing the array is about to be queued.</summary>
    public void Add() => Interlocked.Increment(ref _outstanding);

    public override bool TryStartWrite() => true;

    /// <summary>Runs inside the send path, maybe under its lock: the waiter's continuation runs elsewhere.</summary>
    public override void Finished()
    {
        if (Interlocked.Decrement(ref _outstanding) == 0) Volatile.Read(ref _drained)?.TrySetResult();
    }

    /// <summary>
    /// Completes once every frame added so far has been released (written, or dropped when the connection closed). Bounded
    /// like every write: a peer that stops reading is disconnected after <see cref="IpcOptions.SendStallTimeout"/>, which
    /// releases what was queued.
    /// </summary>
    public Task WhenReleasedAsync()
    {
        if (Volatile.Read(ref _outstanding) == 0) return Task.CompletedTask;
        var drained = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref _drained, drained);
        // A release between the first check and the store above would have found no waiter.
        if (Volatile.Read(ref _outstanding) == 0) drained.TrySetResult();
        return drained.Task;
    }
}
