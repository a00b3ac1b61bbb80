using IpcContracts.Connections;
using IpcContracts.Protocol;

namespace IpcContracts;

public sealed partial class IpcConnection
{
    // Environment.TickCount64 when the read loop last got bytes from the transport; 0 while this side is not reading on
    // purpose (a read pause): silence it caused itself is not the peer's. Written by the read loop, read by the timer.
    private long _receivedAt;
    private long _keepAlivePingAt; // when the timer last sent a keep-alive Ping (0: none since the last receipt)
    private int _keepAlivePings;
    private long _backlogSeenAt; // when the timer last saw bytes waiting to be sent (timer only)

    /// <summary>Keep-alive Pings this side has sent (tests: the keep-alive runs on an idle connection).</summary>
    internal int KeepAlivePingsSent => Volatile.Read(ref _keepAlivePings);

    /// <summary>The read loop got bytes: the peer is there. One store per read, not per frame.</summary>
    private void Received() => Volatile.Write(ref _receivedAt, Environment.TickCount64);

    /// <summary>
    /// Timer check (IpcOptions.KeepAliveInterval, KeepAliveTimeout): a peer that has sent nothing for an interval is sent
    /// a Ping, whose Pong refreshes <see cref="_receivedAt"/> like any frame; one that has sent nothing, Pongs included, for
    /// the timeout is gone without its end having closed (a host off the network, a frozen process) and the connection is
    /// closed as lost. A socket alone would never tell: no bytes arrive and none fail to leave while the send buffer has
    /// room, so a call without a deadline would wait forever.
    /// </summary>
    private void CheckKeepAlive(long now)
    {
        // Before the handshake the handshake's own timeout bounds the wait, and a Ping may not precede the Hello.
        if (!IsEstablished || !HelloQueued) return;
        var receivedAt = Volatile.Read(ref _receivedAt);
        if (receivedAt == 0) return;
        // A backlog on its way out is the send-stall bound's business: a peer that takes it is reading (a subscriber
        // sends nothing back, and a keep-alive Ping waits behind the backlog), one that does not is closed by
        // SendStallTimeout. Silence counts again from when the backlog was last seen, so the peer has a whole timeout
        // to answer the Ping that went out last.
        if (_sender.QueuedBytes > 0 && Options.SendStallTimeout != Timeout.InfiniteTimeSpan) _backlogSeenAt = now;
        var silentMs = now - Math.Max(receivedAt, _backlogSeenAt);
        var timeout = Options.KeepAliveTimeout;
        if (timeout != Timeout.InfiniteTimeSpan && silentMs >= (long)timeout.TotalMilliseconds)
        {
            Fault(new ChannelFaultedException(
                $"Nothing arrived from the peer {PeerDescription} for {timeout.TotalSeconds:0.###} s, not even a Pong to a keep-alive Ping (IpcOptions.KeepAliveTimeout): the peer process or the link to it is gone, or the peer stopped reading.",
                DisconnectReason.PeerLost));
            return;
        }
        var interval = Options.KeepAliveInterval;
        if (interval == Timeout.InfiniteTimeSpan || silentMs < (long)interval.TotalMilliseconds) return;
        // One Ping per interval of silence. Its Pong matches no pending call, so it is ignored once it has refreshed
        // _receivedAt (docs/protocol.md 7.6).
        var lastPing = Volatile.Read(ref _keepAlivePingAt);
        if (lastPing > receivedAt && now - lastPing < (long)interval.TotalMilliseconds) return;
        Volatile.Write(ref _keepAlivePingAt, now);
        Interlocked.Increment(ref _keepAlivePings);
        TrySend(FrameBuilder.Empty(new FrameHeaderTemplate(FrameKind.Ping, FrameFlags.None, 0, 0, NextId())));
    }
}
