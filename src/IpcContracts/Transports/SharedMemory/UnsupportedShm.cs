namespace IpcContracts.Transports.SharedMemory;

/// <summary>
/// <c>shm://</c> where it is not implemented (macOS, other Unix systems): listen and connect refuse at once with a
/// <see cref="PlatformNotSupportedException"/> that names <c>pipe://</c> as the way to go.
/// </summary>
internal sealed class UnsupportedShm(string operatingSystem) : ShmPlatform
{
    public override void ThrowIfUnsupported(IpcEndpoint endpoint) =>
        throw new PlatformNotSupportedException(
            $"{endpoint}: shm:// is implemented on Linux and Windows only, not on {operatingSystem}. " +
            $"Use pipe://{endpoint.Address} instead (a Unix domain socket here, with the same contracts and behaviour).");

    public override Segment Create(int ringSize) => throw new PlatformNotSupportedException();

    public override Segment Open(string name, int ringSize) => throw new PlatformNotSupportedException();
}
