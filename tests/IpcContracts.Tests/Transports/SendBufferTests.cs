using System.IO.Pipelines;
using System.Net.Sockets;
using IpcContracts.Tests.Support;
using IpcContracts.Transports.Streams;

namespace IpcContracts.Tests.TransportOptions;

/// <summary>
/// pipe:// raises a socket's send buffer while large writes go out (fewer hand-offs per large transfer) and sets it back
/// with the next small write (small frames batch behind a full buffer again): GatheringSocketWriter,
/// UnixSocketPipes.LargeWriteSendBuffer, docs/benchmarks.md.
/// </summary>
public sealed class SendBufferTests
{
    [Fact]
    public async Task A_large_write_raises_the_send_buffer_and_the_next_small_write_sets_it_back()
    {
        await using var pair = await UnixSocketPair.CreateAsync();
        var (sender, receiver) = (pair.Connecting, pair.Accepted);
        var initial = sender.SendBufferSize;
        await using var stream = new NetworkStream(sender, ownsSocket: false);
        var writer = new GatheringSocketWriter(sender, PipeWriter.Create(stream, new StreamPipeWriterOptions(leaveOpen: true)), 4 * 1024 * 1024);

        var drained = DrainAsync(receiver, 2 * 1024 * 1024 + 10);
        await writer.WriteAsync(new byte[1024 * 1024]);
        var raised = sender.SendBufferSize;
        await writer.WriteGatheredAsync([new byte[512 * 1024], new byte[512 * 1024]]);
        var stillRaised = sender.SendBufferSize;
        writer.GetSpan(10)[..10].Clear();
        writer.Advance(10);
        await writer.FlushAsync();
        var after = sender.SendBufferSize;
        await drained.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.True(raised > initial, $"not raised by a 1 MiB write: {initial} -> {raised}");
        Assert.Equal(raised, stillRaised);
        Assert.Equal(initial, after);
    }

    private static async Task DrainAsync(Socket socket, int total)
    {
        var buffer = new byte[64 * 1024];
        for (var got = 0; got < total;)
        {
            var n = await socket.ReceiveAsync(buffer);
            if (n == 0) throw new IOException("ended early");
            got += n;
        }
    }
}
