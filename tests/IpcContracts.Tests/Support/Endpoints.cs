namespace IpcContracts.Tests.Support;

/// <summary>Unique endpoint names so tests never collide, in parallel or across runs.</summary>
internal static class Endpoints
{
    public static string InProc() => $"inproc://t-{Guid.NewGuid():N}";
    public static string Pipe() => $"pipe://t-{Guid.NewGuid():N}"[..24];
}
