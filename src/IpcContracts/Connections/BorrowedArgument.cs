namespace IpcContracts.Connections;

/// <summary>
/// The caller's memory that a Request frame references instead of copying it (a large binary argument, at least
/// <see cref="FrameBuilder.BorrowMinimum"/> bytes), and the rule for who may read it when: the send path reads it only
/// between <see cref="TryStartWrite"/> and the frame's release, and the call publishes its outcome (which gives the
/// caller its buffer back) only outside that window.
/// </summary>
/// <remarks>
/// <para>One per borrowing Request, shared by its frame and its call, never reused (the frame and the call are pooled; a
/// lease that outlived either could otherwise be reached through the next use of the object).</para>
/// <para>States: Queued (the frame waits in the send queue) -> Writing (the sender handed the memory to the transport)
/// -> Done (the frame was released: written, failed, or dropped unsent); or Queued -> Done directly when the call ends
/// first (<see cref="TryEndCall"/>): the sender then finds the frame abandoned and never sends a byte of it. A call
/// that ends while its frame is Writing is parked (WritingParked) and published by <see cref="Finished"/>. The write
/// always ends: the transport takes the bytes, or its write fails when the connection closes, and a write that waits
/// longer than <see cref="IpcOptions.SendStallTimeout"/> closes the connection (docs/semantics.md, "The caller's buffer").</para>
/// </remarks>
internal sealed class BorrowedArgument : FrameLease
{
    private const int Queued = 0, Writing = 1, WritingParked = 2, Done = 3;

    private int _state;
    private IParkedOutcome? _parked;

    /// <summary>
    /// The sender is about to hand the memory to the transport. False when the call has already ended: the frame must
    /// be dropped without a byte of it sent (nothing of it is on the wire yet, so the stream of frames stays whole).
    /// </summary>
    public override bool TryStartWrite() => Interlocked.CompareExchange(ref _state, Writing, Queued) == Queued;

    /// <summary>
    /// The frame was released: the send path reads the caller's memory no more. Publishes a call that ended meanwhile, on
    /// the pool (this runs inside the sender, maybe under its lock, where callers' continuations must not run).
    /// </summary>
    public override void Finished()
    {
        if (Interlocked.Exchange(ref _state, Done) != WritingParked) return;
        var call = _parked!;
        _parked = null;
        ThreadPool.UnsafeQueueUserWorkItem(static c => c.PublishParked(), call, preferLocal: false);
    }

    /// <summary>
    /// The call has its outcome. True: publish it now (the frame was never started, and now never will be, or the sender
    /// is done with it). False: the frame is being written; the outcome stays parked in <paramref name="call"/> and
    /// <see cref="IParkedOutcome.PublishParked"/> runs once the write has ended.
    /// </summary>
    public bool TryEndCall(IParkedOutcome call)
    {
        while (true)
        {
            switch (Volatile.Read(ref _state))
            {
                case Done:
                    return true;
                case Queued:
                    if (Interlocked.CompareExchange(ref _state, Done, Queued) != Queued) continue;
                    return true; // abandoned: the sender drops the frame unsent
                case Writing:
                    _parked = call; // before the exchange that makes it visible to Finished
                    if (Interlocked.CompareExchange(ref _state, WritingParked, Writing) == Writing) return false;
                    _parked = null;
                    continue;
                default:
                    return false; // parked already: one outcome per call
            }
        }
    }

    /// <summary>
    /// A cancellation or deadline before the sender took the frame: it is dropped unsent, so the peer needs no Cancel.
    /// False when the frame has started to leave (or was already released).
    /// </summary>
    public bool TryAbandon() => Interlocked.CompareExchange(ref _state, Done, Queued) == Queued;
}
