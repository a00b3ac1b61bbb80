using System.Runtime.CompilerServices;

namespace IpcContracts.Transports.SharedMemory;

/// <summary>
/// One direction of a segment: a single-producer/single-consumer byte ring over shared memory.
/// Head and tail only grow; their difference is the number of unread bytes. Waiting is
/// spin-then-park: a side only sleeps (<see cref="WaitSignal"/>: a futex on Linux, an event on Windows) after
/// announcing it in its "parked" word, and the other side only makes the wake syscall when it sees that word set, so
/// an awake peer costs no syscall.
/// </summary>
internal sealed unsafe class SpscRing
{
    private readonly byte* _control;
    private readonly byte* _data;
    private readonly int _size;
    private readonly int _mask;
    private readonly int _spinCount;
    private readonly WaitSignal _readerWait;
    private readonly WaitSignal _writerWait;

    // Producer-private copy of the consumer's tail. Reading the shared tail costs a cache miss whenever the consumer has
    // moved it; the copy is only ever behind the real tail, so the free space it gives is never more than the truth, and
    // it is reloaded only when it says the bytes do not fit.
    private long _tailSeen;

    // The most one publish or consume moves: a quarter of the ring, at most 256 KiB. A frame larger than the ring then
    // streams through it in pieces, the consumer copying one piece out while the producer copies the next in; moving the
    // whole free space and everything available at once made the two sides take turns: `ring-bulk`, 24 MiB through a 1 MiB
    // ring in one process, 1.5x-4.3x memcpy that way, 1.0x-1.2x in pieces (docs/benchmarks.md, "Sessions 10 and 11").
    private readonly int _maxPiece;

    /// <summary>Upper bound of one sleep of a parked reader, ms: only a safety net, a wake-up is never needed to end it.</summary>
    internal int ReaderParkMs { get; set; } = 100;

    /// <summary>
    /// Upper bound of a parked reader's sleep once sleeps in a row ended with nothing to read (an idle connection), ms:
    /// each such sleep lasts twice the one before, from <see cref="ReaderParkMs"/> up to this. At ten wake-ups a second an
    /// idle connection's reader cost CPU for as long as it lived (issue #16); now it wakes about once every two seconds.
    /// Whatever ends a wait on purpose (bytes, a close, a stop) wakes the reader at once, so only the safety net slows.
    /// </summary>
    internal int ReaderIdleParkMs { get; set; } = 2000;

    /// <summary>Upper bound of one sleep of a parked writer, ms (see <see cref="ReaderParkMs"/>).</summary>
    internal int WriterParkMs { get; set; } = 50;

    public SpscRing(Segment segment, int ring, int ringSize, int spinCount)
    {
        _readerWait = segment.Signal(ring, reader: true);
        _writerWait = segment.Signal(ring, reader: false);
        _control = segment.Pointer + SegmentLayout.ControlOffset(ring);
        _data = segment.Pointer + SegmentLayout.DataOffset(ring, ringSize);
        _size = ringSize;
        _mask = ringSize - 1;
        _spinCount = spinCount;
        _maxPiece = Math.Clamp(ringSize / 4, 1, 256 * 1024);
    }

    private ref long Head => ref Unsafe.AsRef<long>(_control + SegmentLayout.HeadOffset);
    private ref long Tail => ref Unsafe.AsRef<long>(_control + SegmentLayout.TailOffset);
    private ref int ReaderParked => ref Unsafe.AsRef<int>(_control + SegmentLayout.ReaderParkedOffset);
    private int* ReaderSignal => (int*)(_control + SegmentLayout.ReaderSignalOffset);
    private ref int WriterParked => ref Unsafe.AsRef<int>(_control + SegmentLayout.WriterParkedOffset);
    private int* WriterSignal => (int*)(_control + SegmentLayout.WriterSignalOffset);
    private ref int Closed => ref Unsafe.AsRef<int>(_control + SegmentLayout.ClosedOffset);

    /// <summary>How many polls a waiting side spins before it sleeps (<see cref="SharedMemoryOptions.SpinCount"/>).</summary>
    public int SpinCount => _spinCount;

    /// <summary>The producer said it will write no more.</summary>
    public bool IsClosed => Volatile.Read(ref Closed) != 0;

    /// <summary>Bytes written but not yet read.</summary>
    public long Available => Volatile.Read(ref Head) - Volatile.Read(ref Tail);

    // ---- producer side ----

    /// <summary>
    /// Copies <paramref name="source"/> into the ring, waiting for space as needed (so frames larger than
    /// the ring stream through it). Returns false if <paramref name="abort"/> says the connection is gone.
    /// </summary>
    /// <remarks>Blocks while the ring is full: only the shared-memory writer thread calls it, never a thread
    /// that reads frames or a caller (they use <see cref="TryWrite"/>).</remarks>
    public bool Write(ReadOnlySpan<byte> source, Func<bool> abort)
    {
        while (!source.IsEmpty)
        {
            // A wake check per piece, not one at the end: this path streams a frame larger than the free space, and the
            // consumer should drain each piece while the next is copied (a piece is large, so the fence is cheap per byte).
            var n = TryWrite(source);
            if (n == 0)
            {
                if (!WaitForSpace(Volatile.Read(ref Head), abort)) return false;
                continue;
            }
            source = source[n..];
        }
        return true;
    }

    /// <summary>Copies as much of <paramref name="source"/> as fits now, without waiting, and wakes a parked reader; returns the count.</summary>
    public int TryWrite(ReadOnlySpan<byte> source)
    {
        var n = Publish(source);
        if (n > 0) WakeReaderIfParked();
        return n;
    }

    /// <summary>
    /// Copies as much of <paramref name="source"/> as fits now and publishes it with a release store of head, but does
    /// not look at the reader: the caller must call <see cref="WakeReaderIfParked"/> after its last publish and before it
    /// waits for anything (see there). Lets a flush publish several pieces for one fence.
    /// </summary>
    public int Publish(ReadOnlySpan<byte> source)
    {
        if (source.IsEmpty) return 0;
        var head = Volatile.Read(ref Head);
        var free = _size - (head - _tailSeen); // long: a view made after 2 GiB went through starts from tail 0
        if (free < source.Length)
        {
            _tailSeen = Volatile.Read(ref Tail); // acquire: the consumer is done with the bytes before this tail
            free = _size - (head - _tailSeen);
            if (free == 0) return 0;
        }
        var n = (int)Math.Min(Math.Min(free, source.Length), _maxPiece);
        var start = (int)(head & _mask);
        var first = Math.Min(n, _size - start);
        source[..first].CopyTo(new Span<byte>(_data + start, first));
        if (first < n) source[first..n].CopyTo(new Span<byte>(_data, n - first));
        Volatile.Write(ref Head, head + n); // release: the bytes are visible before the new head
        return n;
    }

    /// <summary>Marks the ring closed and wakes the consumer so it sees the end.</summary>
    public void Close()
    {
        Volatile.Write(ref Closed, 1);
        Interlocked.Increment(ref *ReaderSignal);
        _readerWait.Wake();
    }

    /// <summary>
    /// The producer's half of the park/wake handshake; call it after the last <see cref="Publish"/> of a flush, before
    /// the producer waits (for ring space, for its next flush) or returns.
    /// </summary>
    /// <remarks>
    /// <para>Why a full fence, and why one per flush is enough. The consumer parks by: store parked = 1; full fence;
    /// load head; sleep only if head shows nothing new (the futex or event also returns at once if the signal word
    /// moved since it was read before the store). The producer here does: store head (one or more <see cref="Publish"/>
    /// calls); full fence; load parked; wake if set. This is Dekker's pattern (store-buffer litmus): with a full fence
    /// between each side's store and load, at least one side sees the other's store. So either the parking consumer
    /// sees the newest head and does not sleep, or this load sees parked = 1 and wakes it. A release store of head
    /// alone is not enough: x86 (and Arm) let the load of parked pass the still-buffered store of head while the
    /// consumer's load of head passes nothing, and both can read the old values; the consumer then sleeps on bytes that
    /// are there, until its timed wait ends (100 ms), which is a lost wake-up in all but name.</para>
    /// <para>The fence orders every earlier store of head, not just the last, so publishing several pieces and fencing
    /// once after the last is as safe as fencing after each, provided the producer neither waits nor returns in
    /// between: the consumer can only be asleep on bytes already published for the few instructions until this call,
    /// which is what lets a flush (the buffered frames plus a large one) cost one fence instead of one per piece. What
    /// cannot be made cheaper is "no fence when the ring was not empty": the consumer may drain those older bytes and
    /// park in between, and then nothing but this fence makes it see the new head.</para>
    /// </remarks>
    public void WakeReaderIfParked()
    {
        Interlocked.MemoryBarrier();
        if (Volatile.Read(ref ReaderParked) != 0)
        {
            Interlocked.Increment(ref *ReaderSignal);
            _readerWait.Wake();
        }
    }

    private bool WaitForSpace(long head, Func<bool> abort)
    {
        for (var i = 0; i < _spinCount; i++)
        {
            if (_size - (head - Volatile.Read(ref Tail)) > 0) return true;
            Pause(i);
        }
        while (true)
        {
            if (abort()) return false;
            var signal = Volatile.Read(ref *WriterSignal);
            Volatile.Write(ref WriterParked, 1);
            Interlocked.MemoryBarrier();
            if (_size - (head - Volatile.Read(ref Tail)) > 0)
            {
                Volatile.Write(ref WriterParked, 0);
                return true;
            }
            _writerWait.Wait(signal, WriterParkMs);
            Volatile.Write(ref WriterParked, 0);
        }
    }

    // ---- consumer side ----

    /// <summary>Copies up to <paramref name="destination"/>.Length unread bytes out and wakes a parked writer; returns the count.</summary>
    public int Read(Span<byte> destination)
    {
        var n = Consume(destination);
        if (n > 0) WakeWriterIfParked();
        return n;
    }

    /// <summary>
    /// Copies up to <paramref name="destination"/>.Length unread bytes out and frees them with a release store of tail,
    /// without looking at the writer: the caller must call <see cref="WakeWriterIfParked"/> after its last consume and
    /// before it waits or returns (the same reasoning as <see cref="WakeReaderIfParked"/>, with the roles swapped).
    /// </summary>
    public int Consume(Span<byte> destination)
    {
        var tail = Volatile.Read(ref Tail);
        var available = (int)Math.Min(Math.Min(Volatile.Read(ref Head) - tail, destination.Length), _maxPiece); // acquire on head
        if (available <= 0) return 0;
        var start = (int)(tail & _mask);
        var first = Math.Min(available, _size - start);
        new ReadOnlySpan<byte>(_data + start, first).CopyTo(destination);
        if (first < available) new ReadOnlySpan<byte>(_data, available - first).CopyTo(destination[first..]);
        Volatile.Write(ref Tail, tail + available); // release: the bytes were copied out before the space is handed back
        return available;
    }

    /// <summary>
    /// Copies the first <paramref name="destination"/>.Length unread bytes into it without freeing them, when that many are
    /// there; returns how many are unread in all (fewer than the span's length: nothing copied).
    /// </summary>
    public long Peek(Span<byte> destination)
    {
        var tail = Volatile.Read(ref Tail);
        var available = Volatile.Read(ref Head) - tail; // acquire on head
        if (available < destination.Length) return available;
        var start = (int)(tail & _mask);
        var first = Math.Min(destination.Length, _size - start);
        new ReadOnlySpan<byte>(_data + start, first).CopyTo(destination);
        if (first < destination.Length) new ReadOnlySpan<byte>(_data, destination.Length - first).CopyTo(destination[first..]);
        return available;
    }

    /// <summary>
    /// The consumer's half of the handshake on space: a writer parks (store parked = 1; full fence; load tail) only when
    /// the ring looked full. Store tail (one or more <see cref="Consume"/> calls); full fence; load parked: one of the two
    /// sees the other's store (see <see cref="WakeReaderIfParked"/>).
    /// </summary>
    public void WakeWriterIfParked()
    {
        Interlocked.MemoryBarrier();
        if (Volatile.Read(ref WriterParked) != 0)
        {
            Interlocked.Increment(ref *WriterSignal);
            _writerWait.Wake();
        }
    }

    /// <summary>
    /// Waits until there are unread bytes, the producer closed, or <paramref name="stop"/> says to stop.
    /// Spins first (a busy peer answers within the spin), then sleeps on the wait signal.
    /// </summary>
    public void WaitForData(Func<bool> stop)
    {
        for (var i = 0; i < _spinCount; i++)
        {
            if (Available > 0 || IsClosed) return;
            Pause(i);
        }
        var parkMs = ReaderParkMs;
        while (!stop())
        {
            var signal = Volatile.Read(ref *ReaderSignal);
            Volatile.Write(ref ReaderParked, 1);
            Interlocked.MemoryBarrier();
            if (Available > 0 || IsClosed)
            {
                Volatile.Write(ref ReaderParked, 0);
                return;
            }
            _readerWait.Wait(signal, parkMs);
            Volatile.Write(ref ReaderParked, 0);
            if (Available > 0 || IsClosed) return;
            if (parkMs < ReaderIdleParkMs) parkMs = Math.Min(parkMs * 2, ReaderIdleParkMs); // nothing came: idle, sleep longer
        }
    }

    /// <summary>
    /// One spin step. Every 64th step yields the CPU: on a machine with as few cores as busy threads, a
    /// spinner that never yields starves the very thread that would produce the bytes it waits for.
    /// </summary>
    internal static void Pause(int iteration)
    {
        if ((iteration & 63) == 63) Thread.Yield();
        else Thread.SpinWait(1);
    }

    /// <summary>Wakes this ring's consumer (used locally to interrupt our own reader on shutdown).</summary>
    public void WakeConsumer()
    {
        Interlocked.Increment(ref *ReaderSignal);
        _readerWait.Wake();
    }

    /// <summary>Wakes this ring's producer (used locally to interrupt our own writer on shutdown).</summary>
    public void WakeProducer()
    {
        Interlocked.Increment(ref *WriterSignal);
        _writerWait.Wake();
    }
}
