namespace IpcContracts.Tests.Support;

/// <summary>Unique endpoint names so tests never collide, in parallel or across runs.</summary>
internal static class Endpoints
{
    public static string InProc() => $"inproc://t-{Guid.NewGuid():N}";
    public static string Pipe() => $"pipe://t-{Guid.NewGuid():N}"[..24];

    /// <summary>A fresh endpoint for a transport; tcp uses port 0 (the server reports the port it bound).</summary>
    public static string For(string transport) => transport switch
    {
        "inproc" => InProc(),
        "pipe" => Pipe(),
        "tcp" => "tcp://127.0.0.1:0",
        "shm" => $"shm://t-{Guid.NewGuid():N}"[..23],
        _ => throw new ArgumentException(transport),
    };
}
