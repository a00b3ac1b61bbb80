namespace IpcContracts.Transports;

/// <summary>Capabilities and needs a transport connection declares to the core.</summary>
[Flags]
public enum TransportFeatures
{
    /// <summary>Reads complete asynchronously; the core reads on the thread pool.</summary>
    None = 0,

    /// <summary>
    /// Reads wait by blocking the calling thread (spin, then sleep: shared memory). The core gives the connection's
    /// read loop a dedicated thread, and by default runs callers' continuations on it
    /// (<see cref="IpcOptions.ContinuationsOnReaderThread"/>), since that thread is awake anyway.
    /// </summary>
    BlockingReads = 1,
}
