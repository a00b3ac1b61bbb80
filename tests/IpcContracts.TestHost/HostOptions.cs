using IpcContracts;

/// <summary>
/// IpcOptions of the host's server and client roles. IPC_HANDSHAKE_TIMEOUT_MS lengthens the handshake and connect bounds
/// (default 10 s each): the Windows suite sets it because under Wine, on shared cores under load, a fresh process has
/// taken longer than 10 s to JIT its way through its first handshake. Behaviour is what those tests check, not speed.
/// IPC_DEDICATED_READER=1 sets <see cref="IpcOptions.DedicatedReaderThread"/> (the cross-process suites that run with it).
/// </summary>
internal static class HostOptions
{
    public static IpcOptions Create()
    {
        var options = new IpcOptions();
        if (int.TryParse(Environment.GetEnvironmentVariable("IPC_HANDSHAKE_TIMEOUT_MS"), out var ms) && ms > 0)
        {
            options.HandshakeTimeout = TimeSpan.FromMilliseconds(ms);
            options.ConnectTimeout = TimeSpan.FromMilliseconds(ms);
        }
        if (Environment.GetEnvironmentVariable("IPC_DEDICATED_READER") == "1") options.DedicatedReaderThread = true; // else automatic
        return options;
    }
}
