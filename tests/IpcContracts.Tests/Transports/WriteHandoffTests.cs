using IpcContracts.Transports;

namespace IpcContracts.Tests.TransportOptions;

/// <summary>
/// The hand-over both waiting writers use (Transports/WriteHandoff): the rest of a write is finished on the writer's own
/// thread with the state it was handed over with, one write at a time, and a stopped hand-over takes nothing new but
/// still finishes the write it holds. The waits below are bounds that turn a hang into a failure, not timings.
/// </summary>
public sealed class WriteHandoffTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_write_is_finished_on_the_named_thread_with_its_own_state_and_its_result_completes_the_task()
    {
        string? threadName = null;
        var handoff = new WriteHandoff<int, string>("test hand-off", state =>
        {
            threadName = Thread.CurrentThread.Name;
            return $"wrote {state}";
        });

        for (var i = 1; i <= 3; i++)
        {
            Assert.True(handoff.TryHandOver(i, out var token));
            Assert.Equal($"wrote {i}", await new ValueTask<string>(handoff, token).AsTask().WaitAsync(Bound));
        }
        Assert.Equal("test hand-off", threadName);
        handoff.Stop();
    }

    [Fact]
    public async Task A_second_write_while_one_is_pending_is_refused_and_the_first_is_left_intact()
    {
        using var release = new ManualResetEventSlim();
        var handoff = new WriteHandoff<string, string>("test hand-off", state =>
        {
            release.Wait(Bound);
            return state;
        });
        Assert.True(handoff.TryHandOver("first", out var token));

        Assert.Throws<InvalidOperationException>(() => handoff.TryHandOver("second", out _));

        release.Set();
        Assert.Equal("first", await new ValueTask<string>(handoff, token).AsTask().WaitAsync(Bound));
        handoff.Stop();
    }

    [Fact]
    public async Task An_exception_of_the_finishing_function_fails_that_write_only()
    {
        var handoff = new WriteHandoff<bool, int>("test hand-off", fail => fail ? throw new IOException("the peer went away") : 7);

        Assert.True(handoff.TryHandOver(true, out var failing));
        var e = await Assert.ThrowsAsync<IOException>(() => new ValueTask<int>(handoff, failing).AsTask().WaitAsync(Bound));
        Assert.Equal("the peer went away", e.Message);

        Assert.True(handoff.TryHandOver(false, out var next));
        Assert.Equal(7, await new ValueTask<int>(handoff, next).AsTask().WaitAsync(Bound));
        handoff.Stop();
    }

    [Fact]
    public async Task Stopped_it_still_finishes_the_write_it_holds_then_takes_no_more()
    {
        using var started = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        var handoff = new WriteHandoff<int, int>("test hand-off", state =>
        {
            started.Set();
            release.Wait(Bound);
            return state;
        });
        Assert.True(handoff.TryHandOver(5, out var token));
        Assert.True(started.Wait(Bound));

        handoff.Stop();
        release.Set();

        Assert.Equal(5, await new ValueTask<int>(handoff, token).AsTask().WaitAsync(Bound));
        Assert.False(handoff.TryHandOver(6, out _));
    }

    [Fact]
    public async Task An_idle_thread_ends_and_the_next_write_starts_another()
    {
        var threads = new List<Thread>();
        var handoff = new WriteHandoff<int, int>("test hand-off", state =>
        {
            lock (threads) threads.Add(Thread.CurrentThread);
            return state;
        }, idleMilliseconds: 50);

        Assert.True(handoff.TryHandOver(1, out var first));
        await new ValueTask<int>(handoff, first).AsTask().WaitAsync(Bound);
        Assert.True(threads[0].Join(Bound)); // ends once idle for 50 ms
        Assert.True(handoff.TryHandOver(2, out var second));
        await new ValueTask<int>(handoff, second).AsTask().WaitAsync(Bound);

        Assert.Equal(2, threads.Count);
        Assert.NotSame(threads[0], threads[1]);
        handoff.Stop();
    }
}
