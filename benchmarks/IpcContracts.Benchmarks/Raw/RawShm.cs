using System.IO.MemoryMappedFiles;

namespace IpcContracts.Benchmarks.Raw;

/// <summary>
/// The raw shared-memory floor: a plain memory-mapped file under /dev/shm holding two single-producer /
/// single-consumer byte rings (one per direction), each side spinning on the other's index. No framing,
/// no serialization, no futex, no parking: what two processes can do with shared memory at best.
/// Written for the benchmark, independent of the runtime's shm transport.
/// </summary>
internal sealed unsafe class RawShmSegment : IDisposable
{
    public const int RingSize = 1 << 20; // the runtime's default ring size, so bulk transfers compare like for like
    private const int ControlBytes = 512;  // ring 0: head @0, tail @64; ring 1: head @128, tail @192 (one cache line each)
    private const long FileSize = ControlBytes + 2L * RingSize;

    private readonly MemoryMappedFile _map;
    private readonly MemoryMappedViewAccessor _view;
    private readonly byte* _base;

    private RawShmSegment(MemoryMappedFile map, MemoryMappedViewAccessor view)
    {
        _map = map;
        _view = view;
        byte* p = null;
        view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
        _base = p + view.PointerOffset;
    }

    /// <summary>Creates and maps a zeroed segment file (the child process does this).</summary>
    public static RawShmSegment Create(string path)
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.ReadWrite };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using (var f = new FileStream(path, options))
            f.SetLength(FileSize);
        return Open(path);
    }

    /// <summary>Maps an existing segment file.</summary>
    public static RawShmSegment Open(string path)
    {
        var map = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, FileSize, MemoryMappedFileAccess.ReadWrite);
        return new RawShmSegment(map, map.CreateViewAccessor(0, FileSize, MemoryMappedFileAccess.ReadWrite));
    }

    /// <summary>Ring 0 carries bytes from the measuring process to the child, ring 1 back.</summary>
    public RawRing Ring(int index) => new((long*)(_base + index * 128), (long*)(_base + index * 128 + 64), _base + ControlBytes + (long)index * RingSize, RingSize);

    public void Dispose()
    {
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _map.Dispose();
    }
}

/// <summary>One direction: head = bytes ever written (producer), tail = bytes ever read (consumer).</summary>
internal sealed unsafe class RawRing(long* head, long* tail, byte* data, int size)
{
    private const long GiveUpMs = 30_000;
    private readonly int _mask = size - 1;

    /// <summary>Copies all of <paramref name="source"/> in, spinning while the ring is full.</summary>
    public void Write(ReadOnlySpan<byte> source)
    {
        var h = *head;
        while (!source.IsEmpty)
        {
            var spins = 0L;
            long free;
            while ((free = size - (h - Volatile.Read(ref *tail))) == 0) Spin(ref spins);
            var n = (int)Math.Min(free, source.Length);
            var start = (int)(h & _mask);
            var first = Math.Min(n, size - start);
            source[..first].CopyTo(new Span<byte>(data + start, first));
            if (first < n) source[first..n].CopyTo(new Span<byte>(data, n - first));
            h += n;
            Volatile.Write(ref *head, h); // release: the bytes are visible before the index
            source = source[n..];
        }
    }

    /// <summary>Waits for at least one byte, copies up to <paramref name="destination"/>.Length out; returns the count.</summary>
    public int Read(Span<byte> destination)
    {
        var t = *tail;
        var spins = 0L;
        long available;
        while ((available = Volatile.Read(ref *head) - t) == 0) Spin(ref spins); // acquire
        var n = (int)Math.Min(available, destination.Length);
        var start = (int)(t & _mask);
        var first = Math.Min(n, size - start);
        new ReadOnlySpan<byte>(data + start, first).CopyTo(destination);
        if (first < n) new ReadOnlySpan<byte>(data, n - first).CopyTo(destination[first..]);
        Volatile.Write(ref *tail, t + n);
        return n;
    }

    public void ReadExactly(Span<byte> destination)
    {
        while (!destination.IsEmpty) destination = destination[Read(destination)..];
    }

    [ThreadStatic] private static long t_waitStart;

    private static void Spin(ref long spins)
    {
        Thread.SpinWait(1);
        // A peer that died must not leave this process spinning forever: every ~1M polls, look at the clock.
        if ((++spins & 0xFFFFF) != 0) return;
        if (spins == 0x100000) t_waitStart = Environment.TickCount64;
        else if (Environment.TickCount64 - t_waitStart > GiveUpMs) throw new TimeoutException("The raw shared-memory peer stopped answering.");
    }
}
