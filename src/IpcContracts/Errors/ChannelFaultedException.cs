namespace IpcContracts;

/// <summary>
/// The connection to the peer is gone (closed, killed, or broken by a protocol error). Every call
/// pending on the connection fails with this at once; later calls fail with it immediately. A connect that finds no
/// server fails with the derived <see cref="NoServerListeningException"/>. <see cref="Reason"/> says how the connection
/// ended.
/// </summary>
public class ChannelFaultedException : IpcException
{
    /// <summary>Creates the exception; its <see cref="Reason"/> is <see cref="DisconnectReason.Unspecified"/>.</summary>
    public ChannelFaultedException(string message, Exception? inner = null) : base(message, inner) { }

    /// <summary>Creates the exception for a connection that ended for <paramref name="reason"/>.</summary>
    public ChannelFaultedException(string message, DisconnectReason reason, Exception? inner = null) : base(message, inner)
    {
        Reason = reason;
    }

    /// <summary>
    /// How the connection ended: the peer said goodbye (<see cref="DisconnectReason.ClosedByPeer"/>), vanished
    /// (<see cref="DisconnectReason.PeerLost"/>), broke the protocol, stalled, or this process closed it.
    /// </summary>
    public DisconnectReason Reason { get; }
}
