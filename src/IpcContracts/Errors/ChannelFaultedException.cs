namespace IpcContracts;

/// <summary>
/// The connection to the peer is gone (closed, killed, or broken by a protocol error). Every call
/// pending on the connection fails with this at once; later calls fail with it immediately. A connect that finds no
/// server fails with the derived <see cref="NoServerListeningException"/>.
/// </summary>
public class ChannelFaultedException : IpcException
{
    /// <summary>Creates the exception.</summary>
    public ChannelFaultedException(string message, Exception? inner = null) : base(message, inner) { }
}
