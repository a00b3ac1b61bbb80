namespace IpcContracts;

/// <summary>
/// The peer was refused: it runs as a user that is not allowed (pipe/shm, SO_PEERCRED), or it failed
/// the TCP shared-secret handshake. On the refusing side the message says which; the refused peer
/// only learns that it was refused.
/// </summary>
public sealed class IpcAuthenticationException : IpcException
{
    /// <summary>Creates the exception.</summary>
    public IpcAuthenticationException(string message) : base(message) { }
}
