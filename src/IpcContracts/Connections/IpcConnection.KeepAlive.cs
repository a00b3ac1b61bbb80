using IpcContracts.Connections;
using IpcContracts.Protocol;

namespace IpcContracts;

public sealed partial class IpcConnection
{
    // Environment.TickCount64 since when the read loop has been waiting for the peer's bytes; 0 while it is not waiting
    // (it is handling what it read, or paused on purpose because this process's subscribers are behind): only time spent
    // waiting for the peer is the peer's silence. A loop held up by this process (a caller's continuation running long on
    // the reader thread) must not make this side call the peer lost. Written by the read loop, read by the timer.
    private long _waitingSince;
    // Timer only: when it last sent a keep-alive Ping, and when it sent the first Ping of the current silence (the peer's
    // time to answer counts from that one).
    private long _keepAlivePingAt;
    private long _firstPingAt;
    private int _keepAlivePings;
    private long _backlogSeenAt; // when the timer last saw bytes waiting to be sent (timer only)

    /// <summary>Keep-alive Pings this side has sent (tests: the keep-alive runs on an idle connection).</summary>
    internal int KeepAlivePingsSent => Volatile.Read(ref _keepAlivePings);

    /// <summary>The read loop starts to wait for bytes at <paramref name="now"/> (Environment.TickCount64). One store per read, not per frame.</summary>
    private void WaitingForPeer(long now) => Volatile.Write(ref _waitingSince, now);

    /// <summary>The read loop got bytes (or its wait ended otherwise): what follows is this side's time, not the peer's silence.</summary>
    private void NotWaitingForPeer() => Volatile.Write(ref _waitingSince, 0);

    /// <summary>
    /// Timer check (IpcOptions.KeepAliveInterval, KeepAliveTimeout): a peer that has sent nothing for an interval is sent
    /// a Ping, whose Pong ends the wait like any frame; one that has sent nothing, Pongs included, for
    /// the timeout is gone without its end having closed (a host off the network, a frozen process) and the connection is
    /// closed as lost. A socket alone would never tell: no bytes arrive and none fail to leave while the send buffer has
    /// room, so a call without a deadline would wait forever.
    /// </summary>
    private void CheckKeepAlive(long now)
    {
        // Before the handshake the handshake's own timeout bounds the wait, and a Ping may not precede the Hello.
        if (!IsEstablished || !HelloQueued) return;
        // A backlog on its way out is the send-stall bound's business: a peer that takes it is reading (a subscriber
        // sends nothing back, and a keep-alive Ping waits behind the backlog), one that does not is closed by
        // SendStallTimeout. Silence counts again from when the backlog was last seen, so the peer has a whole timeout
        // to answer the Ping that went out last, and for SendStallTimeout after it silence alone closes nothing
        // (DrainingBacklog). Noted whether or not the read loop is waiting right now: a backlog missed here would leave
        // the peer that is still reading its last bytes to the keep-alive alone.
        if (_sender.QueuedBytes > 0 && Options.SendStallTimeout != Timeout.InfiniteTimeSpan) _backlogSeenAt = now;
        var waitingSince = Volatile.Read(ref _waitingSince);
        if (waitingSince == 0) return;
        var silentSince = Math.Max(waitingSince, _backlogSeenAt);
        var silentMs = now - silentSince;
        var interval = Options.KeepAliveInterval;
        var timeout = Options.KeepAliveTimeout;
        var lastPing = _keepAlivePingAt;
        var firstPing = _firstPingAt;
        var pinged = firstPing >= silentSince; // a keep-alive Ping went out during this silence
        if (timeout != Timeout.InfiniteTimeSpan && silentMs >= (long)timeout.TotalMilliseconds && !DrainingBacklog(now))
        {
            // The peer always gets its chance to answer: a Ping, then the time the options leave for the Pong (timeout
            // minus interval). Without that, a tick that comes late (a starved thread pool, a machine back from sleep)
            // would close a connection whose peer was never asked.
            if (interval == Timeout.InfiniteTimeSpan || (pinged && now - firstPing >= (long)(timeout - interval).TotalMilliseconds))
            {
                // The time nothing arrived, not the option's value: a late tick, or the send-stall time lent after a
                // backlog, make it longer, and the message says which bound applied.
                var afterBacklog = _backlogSeenAt >= waitingSince
                    ? $"; it had a backlog of this side's bytes to read, so it was given IpcOptions.SendStallTimeout ({Options.SendStallTimeout.TotalSeconds:0.###} s) after that"
                    : "";
                Fault(new ChannelFaultedException(
                    $"Nothing arrived from the peer {PeerDescription} for {(now - waitingSince) / 1000.0:0.#} s, not even a Pong to a keep-alive Ping (IpcOptions.KeepAliveTimeout is {timeout.TotalSeconds:0.###} s{afterBacklog}): the peer process or the link to it is gone, or the peer stopped reading.",
                    DisconnectReason.PeerLost));
                return;
            }
        }
        if (interval == Timeout.InfiniteTimeSpan || silentMs < (long)interval.TotalMilliseconds) return;
        // One Ping per interval of silence. Its Pong matches no pending call, so it is ignored once it has ended the
        // wait (docs/protocol.md 7.6).
        if (pinged && now - lastPing < (long)interval.TotalMilliseconds) return;
        if (!pinged) _firstPingAt = now;
        _keepAlivePingAt = now;
        Interlocked.Increment(ref _keepAlivePings);
        TrySend(FrameBuilder.Empty(new FrameHeaderTemplate(FrameKind.Ping, FrameFlags.None, 0, 0, NextId())));
    }

    /// <summary>
    /// True for <see cref="IpcOptions.SendStallTimeout"/> after this side last saw bytes waiting to be sent: when its queue
    /// empties, the last of them are not yet read (a socket's kernel buffers hold megabytes over loopback tcp; a ring holds
    /// its size), and a Ping sent now waits behind them. A peer still taking them is reading, not gone, and may need longer
    /// than the keep-alive timeout to reach the Ping; a peer gone for good is closed once this time is over too, so silence
    /// after a backlog is judged by the longer of the two bounds.
    /// </summary>
    private bool DrainingBacklog(long now) =>
        _backlogSeenAt != 0 && now - _backlogSeenAt < (long)Options.SendStallTimeout.TotalMilliseconds;
}
