using IpcContracts.TestContracts;
using IpcContracts.Tests.Support;

namespace IpcContracts.Tests.Streaming;

/// <summary>
/// Over shm:// the chunks of a <c>Stream</c> are read from the ring straight into the pooled buffer the reading
/// <c>Stream</c> is lent, once the read loop has seen (peeked at) the next frame's header in the ring
/// (<c>IpcConnection.TryReadPeekedChunkAsync</c>, <c>LargeFrame.TryPlanPeeked</c>), instead of through the reader's private
/// pipe and a copy. With a 512 KiB ring and 256 KiB chunk frames shifted by the Hello and Request frames before them,
/// every other chunk's payload runs across the ring's end, so the direct read meets the wrap; the bytes must arrive
/// intact and in order in both directions, and the path must have been taken (the counts are 0 without it).
/// </summary>
public sealed class ShmChunkDirectReadTests
{
    private const int RingSize = 512 * 1024;

    [Fact]
    public async Task Stream_chunks_read_from_a_small_ring_into_their_lent_buffers_arrive_intact_both_ways()
    {
        var options = new IpcOptions { SharedMemory = { RingSize = RingSize } };
        var server = await IpcServer.StartAsync(Endpoints.For("shm"), b => b.Handle<IBlobs>(new BlobService()), options);
        var client = await IpcClient.ConnectAsync(server.Endpoint.ToString(), options: options);
        try
        {
            var blobs = client.Proxy<IBlobs>();

            // Caller to handler: an odd length, so the last chunk is short.
            var data = Patterns.Bytes(8 * 1024 * 1024 + 12_345, 21);
            using (var source = new MemoryStream(data))
                Assert.Equal(Patterns.Checksum(data), await blobs.UploadAsync("direct", 0, source));
            var serverSide = Assert.Single(server.Connections);
            Assert.True(serverSide.PeekedChunks > 0, "the server read no chunk straight from the ring");

            // Handler to caller, read in pieces that straddle the chunks.
            const long Length = 8 * 1024 * 1024 + 7;
            await using (var stream = await blobs.DownloadAsync(Guid.NewGuid().ToString("N"), Length))
            {
                var piece = new byte[50_000];
                long position = 0;
                int read;
                while ((read = await stream.ReadAsync(piece)) > 0)
                {
                    for (var i = 0; i < read; i++)
                        if (piece[i] != Patterns.At(position + i)) Assert.Fail($"Byte {position + i} is {piece[i]}, not {Patterns.At(position + i)}.");
                    position += read;
                }
                Assert.Equal(Length, position);
            }
            Assert.True(client.Connection.PeekedChunks > 0, "the client read no chunk straight from the ring");
        }
        finally
        {
            await client.DisposeAsync();
            await server.DisposeAsync();
        }
    }
}
