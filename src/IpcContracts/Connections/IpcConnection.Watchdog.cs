using IpcContracts.Connections;

namespace IpcContracts;

public sealed partial class IpcConnection
{
    // The connection's timer (the watchdog: call deadlines, the send-stall and partial-frame bounds, the keep-alive) ticks
    // every _timerPeriodMs while there is something to watch. A connection with nothing to watch (no call pending, nothing
    // queued or being written, no partial frame) for QuietBeforeRest in a row lets it rest: it then ticks only as often as
    // the keep-alive needs (IdlePeriodMs), and not at all when the keep-alive is off. Before, every connection woke a timer
    // thread and a pool thread four times a second for as long as it lived, idle or not: 4,000 wake-ups a second for a
    // server with a thousand idle clients (issue #16: idle connections cost no CPU). The first frame queued, and the first
    // partial frame read, wake it again (FrameSender.WakeWatch); the keep-alive's own Ping is such a frame.

    /// <summary>How long a connection is quiet before its watchdog rests, ms.</summary>
    private const int QuietBeforeRestMs = 1000;

    private int _quietTicks; // timer only

    /// <summary>Timer ticks since the connection opened (tests: a resting watchdog does not tick).</summary>
    internal long WatchdogTicks => Volatile.Read(ref _watchdogTicks);
    private long _watchdogTicks;

    /// <summary>Whether the watchdog rests now (tests).</summary>
    internal bool WatchdogResting => _sender.WatchResting;

    /// <summary>
    /// The resting period: a quarter of the keep-alive interval or timeout, whichever is shorter (a Ping then leaves at
    /// most a quarter interval late, and a silent peer is closed at most that much after KeepAliveTimeout), never shorter
    /// than the active period and at most a minute; no ticks at all when both are off.
    /// </summary>
    private int IdlePeriodMs
    {
        get
        {
            var interval = Options.KeepAliveInterval;
            var timeout = Options.KeepAliveTimeout;
            if (interval == Timeout.InfiniteTimeSpan && timeout == Timeout.InfiniteTimeSpan) return Timeout.Infinite;
            var shortest = Math.Min(interval == Timeout.InfiniteTimeSpan ? double.MaxValue : interval.TotalMilliseconds,
                timeout == Timeout.InfiniteTimeSpan ? double.MaxValue : timeout.TotalMilliseconds);
            return (int)Math.Clamp(shortest / 4, Volatile.Read(ref _timerPeriodMs), 60_000);
        }
    }

    /// <summary>What the timer watches now, other than the send queue (FrameSender.TryRestWatch checks that under its lock).</summary>
    private bool NeedsWatching =>
        !IsEstablished || !_pending.IsEmpty || Volatile.Read(ref _partialFrameSince) != 0 || Volatile.Read(ref _lowWaterMark) > 1;

    /// <summary>End of every tick: counts quiet ticks, and lets the watchdog rest after enough of them.</summary>
    private void AfterTick()
    {
        Interlocked.Increment(ref _watchdogTicks);
        if (_sender.WatchResting)
        {
            if (NeedsWatching) _sender.WakeWatch(); // woken without a frame: a partial frame is woken for, this is the net
            return;
        }
        if (NeedsWatching || _sender.QueuedBytes > 0)
        {
            _quietTicks = 0;
            return;
        }
        if (++_quietTicks * Volatile.Read(ref _timerPeriodMs) < QuietBeforeRestMs) return;
        _quietTicks = 0;
        if (!_sender.TryRestWatch()) return;
        // Read after the sender's lock: a call registers itself before it queues its Request, so one whose frame has
        // already left is seen here (FrameSender.TryRestWatch says why).
        if (NeedsWatching)
        {
            _sender.WakeWatch();
            return;
        }
        SetTimerForWatch();
    }

    /// <summary>
    /// Sets the timer to the period the watchdog's state asks for: after it rested, and when a frame was queued (or a
    /// partial frame read) while it rested (the sender's wake-up callback), back to the active period. Under the timer
    /// lock and from the state read there, so a rest and a wake-up racing each other leave the period of whichever state
    /// is current.
    /// </summary>
    private void SetTimerForWatch()
    {
        lock (_timerLock) ApplyTimerPeriod(wakeNow: true);
    }

    /// <summary>Under the timer lock: the timer's period from the watchdog's state (resting or not) and <see cref="_timerPeriodMs"/>.</summary>
    private void ApplyTimerPeriod(bool wakeNow = false)
    {
        var resting = _sender.WatchResting;
        var period = resting ? IdlePeriodMs : _timerPeriodMs;
        try
        {
            // A woken watchdog ticks at once: whatever woke it may have started its clock while it rested.
            _timer?.Change(resting || !wakeNow ? period : 0, period);
        }
        catch (ObjectDisposedException)
        {
            // the connection is closing; its pending calls fail with its fault
        }
    }

    /// <summary>The read loop holds part of a frame since <paramref name="now"/>: under the partial-frame bound, so watched.</summary>
    private void PartialFrameSince(long now)
    {
        // A full fence between this store and the flag's load in WakeWatch, against the watchdog's flag store and its load
        // of this field after the sender's lock: one of the two sees the other. Only reads that end inside a frame pay it.
        Interlocked.Exchange(ref _partialFrameSince, now);
        _sender.WakeWatch();
    }
}
