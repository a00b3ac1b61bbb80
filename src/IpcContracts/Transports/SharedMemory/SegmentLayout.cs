namespace IpcContracts.Transports.SharedMemory;

/// <summary>
/// Byte layout of a shared-memory segment (docs/protocol.md, "Shared-memory transport"): a header line,
/// two ring control blocks (client-to-server, server-to-client), then the two data areas. Each index
/// and wait word sits on its own 64-byte cache line so producer and consumer never share a line.
/// </summary>
internal static class SegmentLayout
{
    public const int CacheLine = 64;
    public const ulong Magic = 0x31304D4853435049; // "IPCSHM01" little-endian
    public const int HeaderSize = CacheLine;

    // Offsets inside one ring control block.
    public const int HeadOffset = 0 * CacheLine;          // long: bytes ever written (producer-owned)
    public const int TailOffset = 1 * CacheLine;          // long: bytes ever read (consumer-owned)
    public const int ReaderParkedOffset = 2 * CacheLine;  // int: 1 while the consumer sleeps
    public const int ReaderSignalOffset = 2 * CacheLine + 4; // int: futex word the consumer sleeps on
    public const int WriterParkedOffset = 3 * CacheLine;  // int: 1 while the producer waits for space
    public const int WriterSignalOffset = 3 * CacheLine + 4;
    public const int ClosedOffset = 4 * CacheLine;        // int: 1 once the producer will write no more
    public const int ControlSize = 8 * CacheLine;

    public static long SegmentSize(int ringSize) => HeaderSize + 2L * ControlSize + 2L * ringSize;

    public static long ControlOffset(int ring) => HeaderSize + ring * (long)ControlSize;

    public static long DataOffset(int ring, int ringSize) => HeaderSize + 2L * ControlSize + ring * (long)ringSize;
}
