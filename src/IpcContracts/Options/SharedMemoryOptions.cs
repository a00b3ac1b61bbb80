namespace IpcContracts;

/// <summary>Options of the <c>shm://</c> transport (<see cref="IpcOptions.SharedMemory"/>).</summary>
public sealed class SharedMemoryOptions
{
    /// <summary>Bytes per direction of a connection's ring (a power of two, 4 KiB to 1 GiB). Default 1 MiB; larger frames stream through.</summary>
    public int RingSize { get; set; } = 1 << 20;

    /// <summary>
    /// How many times a reader or writer thread polls the ring before it sleeps on a futex. Spinning keeps latency
    /// near memory speed while the peer is busy; sleeping saves the CPU when it is idle. 0 sleeps at once. Default 20,000.
    /// </summary>
    public int SpinCount { get; set; } = 20_000;

    /// <summary>The one ring-size rule: checked for these options and for the size a server announces at rendezvous.</summary>
    internal static bool IsValidRingSize(int ringSize) => ringSize >= 4096 && ringSize <= 1 << 30 && (ringSize & (ringSize - 1)) == 0;

    internal void Validate()
    {
        if (!IsValidRingSize(RingSize))
            throw new IpcConfigurationException($"IpcOptions.SharedMemory.RingSize must be a power of two from 4 KiB to 1 GiB (was {RingSize}).");
        if (SpinCount < 0) throw new IpcConfigurationException("IpcOptions.SharedMemory.SpinCount must not be negative.");
    }
}
