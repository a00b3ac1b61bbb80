using IpcContracts.Connections;

namespace IpcContracts.Tests.Streaming;

/// <summary>
/// The connection's timer decides whether a pending call is past its deadline while a stream's consumer sets that
/// deadline (waiting for an item) and clears it (an item came) on another thread. The decision must read it once.
/// </summary>
public sealed class PendingCallDeadlineTests
{
    private sealed class Deadline
    {
        public long Ticks;
    }

    /// <summary>
    /// Regression: the timer read the deadline twice (nonzero, then "now is past it"); a consumer that cleared it between the
    /// two reads made the second compare against 0, so a stream with its deadline 30 s away failed with "sent no item for
    /// 30 s (this wait began 0.002 s ago)" (seen in CI, a 1 GiB stream over pipe://). Here the deadline is far in the
    /// future or cleared, never past, while the timer side checks it millions of times.
    /// </summary>
    [Fact]
    public void A_deadline_cleared_while_the_timer_checks_it_is_never_taken_for_a_past_one()
    {
        var now = Environment.TickCount64;
        var future = now + (long)TimeSpan.FromDays(1).TotalMilliseconds;
        var deadline = new Deadline { Ticks = future };
        using var stop = new CancellationTokenSource();
        var consumer = new Thread(() =>
        {
            // A consumer waiting for items that keep coming: armed, cleared, armed...
            while (!stop.IsCancellationRequested)
            {
                Volatile.Write(ref deadline.Ticks, future);
                Volatile.Write(ref deadline.Ticks, 0);
            }
        }) { IsBackground = true };
        consumer.Start();
        try
        {
            var past = 0;
            for (var i = 0; i < 20_000_000; i++)
            {
                if (PendingCall.IsPast(ref deadline.Ticks, now)) past++;
            }
            Assert.Equal(0, past);
        }
        finally
        {
            stop.Cancel();
            consumer.Join();
        }
    }

    [Fact]
    public void A_deadline_that_has_passed_is_past_and_none_never_is()
    {
        var deadline = new Deadline { Ticks = 1_000 };
        Assert.True(PendingCall.IsPast(ref deadline.Ticks, 1_000));
        Assert.True(PendingCall.IsPast(ref deadline.Ticks, 5_000));
        Assert.False(PendingCall.IsPast(ref deadline.Ticks, 999));
        deadline.Ticks = 0;
        Assert.False(PendingCall.IsPast(ref deadline.Ticks, long.MaxValue));
    }
}
