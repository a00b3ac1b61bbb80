using System.IO.MemoryMappedFiles;

namespace IpcContracts.Transports.SharedMemory;

/// <summary>
/// A mapped segment, the pointer to its first byte, and the cross-process wait signal of each of its four wait words.
/// How the map is created or opened and what the signals are is the platform's (<see cref="ShmPlatform"/>); the
/// layout is the same everywhere (<see cref="SegmentLayout"/>).
/// </summary>
internal sealed unsafe class Segment : IDisposable
{
    private readonly MemoryMappedFile _map;
    private readonly MemoryMappedViewAccessor _view;
    private WaitSignal[] _signals = [];
    private int _disposed;

    private Segment(MemoryMappedFile map, MemoryMappedViewAccessor view, byte* pointer, string name)
    {
        _map = map;
        _view = view;
        Pointer = pointer;
        Name = name;
    }

    public byte* Pointer { get; }

    /// <summary>What the client opens (a file path on Linux, a map name on Windows): the rendezvous sends it.</summary>
    public string Name { get; }

    /// <summary>The signal for ring <paramref name="ring"/>'s reader (consumer) or writer (producer) wait word.</summary>
    public WaitSignal Signal(int ring, bool reader) => _signals[ring * 2 + (reader ? 0 : 1)];

    /// <summary>
    /// Maps all of <paramref name="map"/> (taking ownership of it); the server stamps the magic, the client checks it.
    /// <paramref name="signals"/> then makes the four wait signals, in the order ring 0 reader, ring 0 writer, ring 1 reader,
    /// ring 1 writer.
    /// </summary>
    public static Segment Map(MemoryMappedFile map, string name, int ringSize, bool isServer, Func<Segment, WaitSignal[]> signals)
    {
        var size = SegmentLayout.SegmentSize(ringSize);
        MemoryMappedViewAccessor? view = null;
        try
        {
            view = map.CreateViewAccessor(0, size, MemoryMappedFileAccess.ReadWrite);
        }
        finally
        {
            if (view is null) map.Dispose();
        }
        byte* pointer = null;
        view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
        pointer += view.PointerOffset;
        var segment = new Segment(map, view, pointer, name);
        try
        {
            if (isServer) *(ulong*)pointer = SegmentLayout.Magic;
            else if (*(ulong*)pointer != SegmentLayout.Magic)
                throw new IpcProtocolException(ProtocolError.BadMagic, $"'{name}' is not an IpcContracts segment.");
            segment._signals = signals(segment);
            return segment;
        }
        catch
        {
            segment.Dispose();
            throw;
        }
    }

    /// <summary>The four futex signals on the wait words inside the segment itself (Linux).</summary>
    public static WaitSignal[] FutexSignals(Segment segment)
    {
        var signals = new WaitSignal[4];
        for (var ring = 0; ring < 2; ring++)
        {
            var control = segment.Pointer + SegmentLayout.ControlOffset(ring);
            signals[ring * 2] = new FutexSignal((int*)(control + SegmentLayout.ReaderSignalOffset));
            signals[ring * 2 + 1] = new FutexSignal((int*)(control + SegmentLayout.WriterSignalOffset));
        }
        return signals;
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        foreach (var signal in _signals) signal.Dispose();
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _map.Dispose();
    }
}
