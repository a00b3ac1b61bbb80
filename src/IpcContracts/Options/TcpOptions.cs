namespace IpcContracts;

/// <summary>Options of the <c>tcp://</c> transport (<see cref="IpcOptions.Tcp"/>).</summary>
public sealed class TcpOptions
{
    /// <summary>
    /// Lets a server listen on a non-loopback address. Off by default: anything beyond this machine must be asked
    /// for explicitly, and needs <see cref="SharedSecret"/>.
    /// </summary>
    public bool AllowNonLoopback { get; set; }

    /// <summary>
    /// A shared secret (the HMAC key, used as given). When set, both sides prove they know it before the Hello
    /// (HMAC-SHA256 challenge-response both ways, compared in constant time; docs/protocol.md 8.3); a wrong secret
    /// is refused without saying why. Required for listening on a non-loopback address.
    /// </summary>
    public byte[]? SharedSecret { get; set; }
}
