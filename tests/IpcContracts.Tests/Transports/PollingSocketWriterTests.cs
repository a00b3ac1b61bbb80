using System.Net.Sockets;
using IpcContracts.Tests.Support;
using IpcContracts.Transports.Streams;

namespace IpcContracts.Tests.TransportOptions;

/// <summary>
/// A socket connection read on a thread of its own is written through PollingSocketWriter, whose waits for room are
/// bounded by the connection (it closes them) and awaited by the send path. A synchronous write has no such bound: it
/// is refused instead of blocking its thread on a peer that does not read.
/// </summary>
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
}
