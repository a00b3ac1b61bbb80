namespace IpcContracts;

/// <summary>
/// Why a connection ended, as <see cref="ChannelFaultedException.Reason"/> tells it: on the pending calls it failed, on
/// <see cref="IpcConnection.Completion"/> and on <see cref="IpcServer.ClientDisconnected"/>. The values are stable;
/// switch on them, not on the exception's message (docs/semantics.md, "Connections and reconnects").
/// </summary>
public enum DisconnectReason
{
    /// <summary>
    /// Not the end of an established connection (a connect that found no server, a call made while a client was
    /// between connections), or an exception made without a reason.
    /// </summary>
    Unspecified = 0,

    /// <summary>
    /// The peer closed the connection deliberately: it sent Goodbye (it disposed its client, server or connection),
    /// then ended the stream. A peer process that exits after disposing its client ends this way.
    /// </summary>
    ClosedByPeer = 1,

    /// <summary>
    /// The stream ended, or the transport failed, without a Goodbye: the peer process died (a crash, kill -9, an exit
    /// that skipped disposing its client) or the link to it broke; or nothing at all arrived from the peer, not even a Pong
    /// to a keep-alive Ping, for <see cref="IpcOptions.KeepAliveTimeout"/> (a host gone from the network, a frozen process).
    /// </summary>
    PeerLost = 2,

    /// <summary>The peer sent bytes that break the protocol; this side answered with a connection-level Error and closed.</summary>
    ProtocolViolation = 3,

    /// <summary>
    /// The peer closed the connection with a connection-level Error: it found a protocol violation in what this side
    /// sent, or it refused the connection (<see cref="IpcOptions.MaxConnections"/>). The exception's message carries the
    /// peer's reason.
    /// </summary>
    RejectedByPeer = 4,

    /// <summary>
    /// A bound on progress was reached: the peer stopped reading (<see cref="IpcOptions.SendStallTimeout"/>), more than
    /// <see cref="IpcOptions.MaxSendQueueBytes"/> waited to be sent, event subscribers (the peer's or this process's)
    /// fell behind past their overflow policy (<see cref="EventOverflowPolicy.Disconnect"/>, or the
    /// <see cref="EventOverflowPolicy.Wait"/> timeout), the peer held half a frame for
    /// <see cref="IpcOptions.PartialFrameTimeout"/>, or it did not complete the handshake within
    /// <see cref="IpcOptions.HandshakeTimeout"/>. The message names the bound.
    /// </summary>
    Stalled = 5,

    /// <summary>This process closed the connection: it disposed the client, the server or the connection.</summary>
    ClosedLocally = 6,
}
