using System.IO.Pipelines;
using System.Net.Sockets;
using IpcContracts.Tests.Liveness;
using IpcContracts.Tests.Support;
using IpcContracts.Transports.Streams;

namespace IpcContracts.Tests.TransportOptions;

/// <summary>
/// A socket connection read on a thread of its own is written through PollingSocketWriter, whose waits for room are
/// bounded by the connection (it closes them) and awaited by the send path. A synchronous write has no such bound: it
/// is refused instead of blocking its thread on a peer that does not read. The tests count this process's threads by
/// name, so they run alone.
/// </summary>
[Collection(CountsReaderThreads.Name)]
public sealed class PollingSocketWriterTests
{
    /// <summary>
    /// Regression: a synchronous <c>Complete()</c> of the connection's output with more bytes buffered than the socket
    /// takes flushed them through the stream's synchronous Write, which blocked until the peer read (it never did here).
    /// </summary>
    [Fact]
    public async Task Completing_the_output_synchronously_never_blocks_on_a_peer_that_does_not_read()
    {
        if (!OperatingSystem.IsLinux()) return; // dedicated reader threads are Linux only
        await using var pair = await UnixSocketPair.CreateAsync();
        var sender = pair.Connecting; // pair.Accepted never reads
        var reader = DedicatedReader.For(new IpcOptions { DedicatedReaderThread = true });
        Assert.NotNull(reader);
        await using var connection = new SocketTransportConnection(sender, "test peer", dedicatedReader: reader);

        for (var i = 0; i < 128; i++) // 8 MiB buffered, far more than a Unix socket's buffers hold
        {
            connection.Output.GetSpan(64 * 1024)[..(64 * 1024)].Fill((byte)i);
            connection.Output.Advance(64 * 1024);
        }

        var complete = Task.Run(() => connection.Output.Complete());
        // The bound turns a blocked thread into a failure; it is not a performance threshold.
        var finished = await Task.WhenAny(complete, Task.Delay(TimeSpan.FromSeconds(30)));
        Assert.Same(complete, finished);
        await Assert.ThrowsAsync<NotSupportedException>(() => complete);
    }

    /// <summary>
    /// Regression: a write waiting for room on a peer that stopped reading held a thread-pool thread in poll(2) for up to
    /// the send-stall bound (30 s by default), so a few such peers starved the pool every other connection's handlers
    /// and continuations run on. Each waits on a thread of its own writer now (named, so it is seen in /proc), which
    /// ends when its connection closes.
    /// </summary>
    [Fact]
    public async Task A_write_waiting_for_a_peer_that_does_not_read_waits_on_its_own_thread_which_ends_with_the_connection()
    {
        if (!OperatingSystem.IsLinux()) return; // dedicated reader threads are Linux only
        const int stalled = 6;
        var before = SenderThreads();
        var pairs = new List<UnixSocketPair>();
        var connections = new List<SocketTransportConnection>();
        var flushes = new List<Task<FlushResult>>();
        try
        {
            for (var c = 0; c < stalled; c++)
            {
                var pair = await UnixSocketPair.CreateAsync(); // pair.Accepted never reads
                pairs.Add(pair);
                var connection = new SocketTransportConnection(pair.Connecting, "test peer", dedicatedReader: DedicatedReader.For(new IpcOptions { DedicatedReaderThread = true }));
                connections.Add(connection);
                for (var i = 0; i < 64; i++) // 4 MiB, far more than a Unix socket's buffers hold
                {
                    connection.Output.GetSpan(64 * 1024)[..(64 * 1024)].Fill((byte)i);
                    connection.Output.Advance(64 * 1024);
                }
                flushes.Add(connection.Output.FlushAsync().AsTask());
            }

            await Eventually.TrueAsync(() => SenderThreads() >= before + stalled);
            Assert.All(flushes, f => Assert.False(f.IsCompleted)); // still waiting: the peers read nothing
        }
        finally
        {
            foreach (var connection in connections)
            {
                try
                {
                    await connection.DisposeAsync();
                }
                catch (IOException)
                {
                    // Documented: frames still buffered fail to go out once the socket is shut down; it is closed all the same.
                }
            }
            foreach (var pair in pairs) await pair.DisposeAsync();
        }

        foreach (var flush in flushes) await Assert.ThrowsAnyAsync<IOException>(() => flush); // the close failed each wait
        await Eventually.TrueAsync(() => SenderThreads() <= before);
    }

    /// <summary>Threads of this process named as a writer's sender thread (Linux keeps the first 15 characters).</summary>
    private static int SenderThreads()
    {
        var name = PollingSocketWriter.SenderThreadName[..15];
        var count = 0;
        foreach (var task in Directory.EnumerateDirectories("/proc/self/task"))
        {
            try
            {
                if (File.ReadAllText(Path.Combine(task, "comm")).TrimEnd('\n') == name) count++;
            }
            catch (IOException) { } // the thread ended meanwhile
        }
        return count;
    }
}
