using System.Net.Sockets;
using IpcContracts.Tests.Support;
using IpcContracts.Transports.Streams;

namespace IpcContracts.Tests.TransportOptions;

/// <summary>
/// The read side of a socket connection that reads on a thread of its own (Linux): a read sleeps in poll(2) until bytes
/// arrive or the socket is closed, and an idle connection's thread is not woken meanwhile (issue #16: idle connections
/// cost no CPU). Counted (voluntary context switches of the reading thread), not timed.
/// </summary>
public sealed class PollingSocketReaderTests
{
    /// <summary>
    /// Regression: the read woke every 100 ms to check whether the connection had closed (about 20 wake-ups in 2 s of
    /// idle per connection), although closing the socket ends the wait at once (the next test).
    /// </summary>
    [Fact]
    public async Task An_idle_read_sleeps_until_bytes_arrive()
    {
        if (!OperatingSystem.IsLinux()) return;
        await using var pair = await UnixSocketPair.CreateAsync();
        var reader = new PollingSocketReader(pair.Connecting);
        var tid = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var read = Task.Factory.StartNew(() =>
        {
            tid.SetResult(ThreadWakeups.CurrentThreadId());
            return reader.Read(new byte[16]);
        }, TaskCreationOptions.LongRunning);
        var readingThread = await tid.Task;

        await Task.Delay(300); // the reader is in poll(2) by now
        var before = ThreadWakeups.Of(readingThread);
        await Task.Delay(2000);
        var woken = ThreadWakeups.Of(readingThread) - before;
        Assert.False(read.IsCompleted);
        pair.Accepted.Send(new byte[] { 42 });

        Assert.Equal(1, await read.WaitAsync(TimeSpan.FromSeconds(10))); // a bound on a wedge, not a threshold
        Assert.True(woken <= 2, $"the idle reading thread was woken {woken} times in 2 s");
    }

    /// <summary>
    /// Closing the socket ends a read that waits in poll(2) at once, with or without a shutdown first (the connection
    /// shuts it down, then disposes it): the wait needs no timeout of its own to notice a local close.
    /// </summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Closing_the_socket_ends_a_waiting_read(bool shutdownFirst)
    {
        if (!OperatingSystem.IsLinux()) return;
        await using var pair = await UnixSocketPair.CreateAsync();
        var reader = new PollingSocketReader(pair.Connecting);
        var read = Task.Factory.StartNew(() => reader.Read(new byte[16]), TaskCreationOptions.LongRunning);
        await Task.Delay(300);
        Assert.False(read.IsCompleted);

        if (shutdownFirst) pair.Connecting.Shutdown(SocketShutdown.Both);
        pair.Connecting.Dispose();

        // Shorter than the reader's own poll bound (30 s): only the close can end the wait within it.
        Assert.Equal(0, await read.WaitAsync(TimeSpan.FromSeconds(10)));
    }
}
