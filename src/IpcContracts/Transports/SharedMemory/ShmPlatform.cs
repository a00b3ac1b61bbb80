namespace IpcContracts.Transports.SharedMemory;

/// <summary>
/// The one place where <c>shm://</c> differs per operating system, chosen once per process: how a segment is created
/// and opened by name, and what its wait signals are. Linux: a file under /dev/shm and futexes (<see cref="LinuxShm"/>);
/// Windows: a named memory map and named events (<see cref="WindowsShm"/>); elsewhere a clear refusal
/// (<see cref="UnsupportedShm"/>). The rendezvous, the ring layout, the spin-then-park protocol and the control channel
/// (<c>pipe://NAME.shm</c>, <see cref="Pipe.PipePlatform"/>) are the same everywhere (<see cref="ShmTransport"/>).
/// </summary>
internal abstract class ShmPlatform
{
    /// <summary>This operating system's implementation.</summary>
    public static ShmPlatform Current { get; } =
        OperatingSystem.IsLinux() ? new LinuxShm()
        : OperatingSystem.IsWindows() ? new WindowsShm()
        : new UnsupportedShm(System.Runtime.InteropServices.RuntimeInformation.OSDescription);

    /// <summary>Throws <see cref="PlatformNotSupportedException"/> where shared memory is not implemented; called first by listen and connect.</summary>
    public virtual void ThrowIfUnsupported(IpcEndpoint endpoint) { }

    /// <summary>Called once when a server starts listening (Linux removes segment files left by killed processes).</summary>
    public virtual void BeforeListen() { }

    /// <summary>Server: a fresh segment for one connection with the magic stamped; its <see cref="Segment.Name"/> goes to the client.</summary>
    public abstract Segment Create(int ringSize);

    /// <summary>Client: opens the segment the server named; <see cref="IpcProtocolException"/> for a name this platform never sends.</summary>
    public abstract Segment Open(string name, int ringSize);

    /// <summary>Server, after the rendezvous (acknowledged or failed): the name is no longer needed (Linux unlinks the file).</summary>
    public virtual void Unpublish(Segment segment) { }
}
