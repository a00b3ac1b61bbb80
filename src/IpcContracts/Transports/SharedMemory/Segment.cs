using System.IO.MemoryMappedFiles;

namespace IpcContracts.Transports.SharedMemory;

/// <summary>A mapped segment file and the pointer to its first byte.</summary>
internal sealed unsafe class Segment : IDisposable
{
    private readonly MemoryMappedFile _map;
    private readonly MemoryMappedViewAccessor _view;
    private int _disposed;

    private Segment(MemoryMappedFile map, MemoryMappedViewAccessor view, byte* pointer)
    {
        _map = map;
        _view = view;
        Pointer = pointer;
    }

    public byte* Pointer { get; }

    /// <summary>Maps <paramref name="path"/>; the server stamps the magic, the client checks it.</summary>
    public static Segment Map(string path, int ringSize, bool isServer)
    {
        var size = SegmentLayout.SegmentSize(ringSize);
        var map = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, size, MemoryMappedFileAccess.ReadWrite);
        MemoryMappedViewAccessor? view = null;
        try
        {
            view = map.CreateViewAccessor(0, size, MemoryMappedFileAccess.ReadWrite);
            byte* pointer = null;
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
            pointer += view.PointerOffset;
            var segment = new Segment(map, view, pointer);
            if (isServer) *(ulong*)pointer = SegmentLayout.Magic;
            else if (*(ulong*)pointer != SegmentLayout.Magic)
            {
                segment.Dispose();
                throw new IpcProtocolException(ProtocolError.BadMagic, $"'{path}' is not an IpcContracts segment.");
            }
            return segment;
        }
        catch (Exception) when (view is null)
        {
            map.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _map.Dispose();
    }
}
