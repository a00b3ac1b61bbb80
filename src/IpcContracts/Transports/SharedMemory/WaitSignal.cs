namespace IpcContracts.Transports.SharedMemory;

/// <summary>
/// How a side of a ring sleeps and is woken across processes, for one wait word of the segment (docs/protocol.md 8.1,
/// "Waiting"). The shared <c>int</c> signal word stays in the segment and <see cref="SpscRing"/> keeps the whole
/// spin-then-park protocol; only the sleep and the wake differ per OS: a futex on the word itself on Linux
/// (<see cref="FutexSignal"/>), a named auto-reset event per word on Windows (<see cref="EventSignal"/>).
/// </summary>
/// <remarks>Called only when a side parks or wakes a parked peer (and on shutdown), never per spin.</remarks>
internal abstract class WaitSignal : IDisposable
{
    /// <summary>
    /// Sleeps until woken or <paramref name="timeoutMs"/> passes; may return early. A futex returns at once when the word no
    /// longer holds <paramref name="expected"/>; an event remembers a wake that came before the wait. Either way a wake
    /// between the caller's last check and this call is not lost.
    /// </summary>
    public abstract void Wait(int expected, int timeoutMs);

    /// <summary>Wakes the side sleeping on this word (the caller has already changed the word).</summary>
    public abstract void Wake();

    /// <summary>Releases what the signal holds (an event handle); a futex holds nothing.</summary>
    public virtual void Dispose() { }
}
