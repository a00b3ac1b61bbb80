namespace IpcContracts.Transports.Streams;

/// <summary>
/// Whether one pipe:// or tcp:// connection reads on a thread of its own (<see cref="IpcOptions.DedicatedReaderThread"/>),
/// decided once per connection, here only: before a client connects (it then connects with the blocking call,
/// <see cref="SocketConnector"/>) and when a server accepts. The connection releases its grant when it is disposed.
/// </summary>
/// <remarks>
/// Automatic mode (the option left <c>null</c>) gives a reader thread to a connection while fewer than
/// <see cref="AutomaticLimit"/> connections of this process hold one, and reads the rest on the thread pool: the few
/// connections most processes have get the kernel's direct wake-up (a 64 B round trip over tcp:// took 33-46 µs and 88-108
/// µs of CPU for both sides this way, against 121-165 µs and 261-317 µs on the pool; docs/benchmarks.md, "Session 16"),
/// and a server with many clients does not get a thread per client. An automatic reader keeps callers'
/// continuations on the thread pool (<see cref="TransportFeatures.PooledContinuations"/>), so the code after an
/// <c>await</c> keeps the rules it has without one; only an explicit <c>true</c> resumes callers on the reader thread.
/// Linux only: the reader's poll(2), recv flags and error numbers are Linux's.
/// </remarks>
internal sealed class DedicatedReader
{
    /// <summary>Most connections of this process that hold an automatic reader thread at once.</summary>
    public static readonly int AutomaticLimit = Math.Max(4, Environment.ProcessorCount);

    private static int s_automatic;
    private int _released;

    private DedicatedReader(bool automatic) => Automatic = automatic;

    /// <summary>Given by automatic mode (counted against <see cref="AutomaticLimit"/>), not asked for.</summary>
    public bool Automatic { get; }

    /// <summary>Automatic reader threads held in this process now.</summary>
    internal static int AutomaticInUse => Volatile.Read(ref s_automatic);

    /// <summary>A reader thread for a new connection, or null when it reads on the thread pool.</summary>
    public static DedicatedReader? For(IpcOptions options)
    {
        if (!OperatingSystem.IsLinux() || options.DedicatedReaderThread == false) return null;
        if (options.DedicatedReaderThread == true) return new DedicatedReader(automatic: false);
        if (Interlocked.Increment(ref s_automatic) <= AutomaticLimit) return new DedicatedReader(automatic: true);
        Interlocked.Decrement(ref s_automatic);
        return null;
    }

    /// <summary>Gives an automatic grant back (once; any number of calls).</summary>
    public void Release()
    {
        if (Automatic && Interlocked.Exchange(ref _released, 1) == 0) Interlocked.Decrement(ref s_automatic);
    }
}
