using System.Buffers.Binary;
using IpcContracts.Protocol;
using IpcContracts.Runtime;
using IpcContracts.TestContracts;
using IpcContracts.Tests.Support;

namespace IpcContracts.Tests.Protocol;

/// <summary>
/// A <c>Stream</c> result on the wire (docs/protocol.md 7.7 and 7.10), driven by a hand-written caller that grants credit
/// itself: how large the chunks are and how far the handler's stream is read ahead of the credit.
/// </summary>
public sealed class ByteStreamWireTests
{
    private static readonly ContractDescriptor Blobs = ContractRegistry.Get<IBlobs>();
    private static uint Method(string name) => Blobs.Methods.Single(m => m.Name == name).Id;

    private static async Task<(IpcServer Server, RawPeer Peer)> StartAsync()
    {
        var endpoint = Endpoints.InProc();
        var server = await IpcServer.StartAsync(endpoint, b => b.Handle<IBlobs>(new BlobService()));
        var peer = await RawPeer.ConnectAsync(endpoint);
        await peer.SendAsync(RawPeer.Frame(FrameKind.Hello, json: RawPeer.Hello()));
        await peer.ExpectAsync(FrameKind.Hello);
        return (server, peer);
    }

    private static byte[] Credit(ulong call, uint bytes)
    {
        var grant = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(grant, bytes);
        return RawPeer.Frame(FrameKind.StreamCredit, 0, 0, call, grant, FrameFlags.None);
    }

    /// <summary>How many bytes the handler's stream for <paramref name="probe"/> has been read, asked with a call of its own.</summary>
    private static async Task<long> ProducedAsync(RawPeer peer, string probe)
    {
        await peer.SendAsync(RawPeer.Frame(FrameKind.Request, Blobs.Id, Method("ProbeAsync"), 900, $$"""{"probe":"{{probe}}"}"""));
        var reply = await peer.ReceiveAsync() ?? throw new Xunit.Sdk.XunitException("The connection closed.");
        Assert.Equal((FrameKind.Response, 900ul), (reply.Header.Kind, reply.Header.CorrelationId)); // no item can come: no credit
        return RawPeer.Parse(reply.Json).EnumerateObject().Single(p => p.Name.Equals("produced", StringComparison.OrdinalIgnoreCase)).Value.GetInt64();
    }

    [Fact]
    public async Task A_Stream_result_comes_in_chunks_as_large_as_the_credit_allows_and_is_never_read_ahead_of_the_credit()
    {
        var (server, peer) = await StartAsync();
        await using var _ = server;
        await using var __ = peer;
        const long length = 1_500_000;
        const string probe = "wire-chunks";

        await peer.SendAsync(RawPeer.Frame(FrameKind.Request, Blobs.Id, Method("DownloadAsync"), 5, $$"""{"probe":"{{probe}}","length":{{length}}}"""));
        await peer.SendAsync(Credit(5, 600_000));
        long credit = 600_000, received = 0;
        var sizes = new List<int>();
        var bytes = new MemoryStream();
        while (true)
        {
            var frame = await peer.ReceiveAsync() ?? throw new Xunit.Sdk.XunitException("The connection closed mid-stream.");
            Assert.Equal(5ul, frame.Header.CorrelationId);
            if (frame.Header.Kind == FrameKind.Response) break; // the end
            Assert.Equal(FrameKind.StreamItem, frame.Header.Kind);
            Assert.Equal(FrameFlags.Binary, frame.Header.Flags);
            var size = peer.LastPayload.Length;
            // Started with credit left; at most 256 KiB with its header (inproc reads no frame directly, so its chunks stay
            // below 256 KiB; ByteChunkFrames.MaxBufferedChunk); beyond the credit by less than 64 KiB.
            Assert.True(credit > 0, $"an item of {size} bytes came with {credit} bytes of credit");
            Assert.InRange(size, 1, 256 * 1024 - FrameHeader.Size);
            Assert.True(size <= Math.Max(credit, 64 * 1024), $"an item of {size} bytes came with {credit} bytes of credit");
            sizes.Add(size);
            bytes.Write(peer.LastPayload);
            credit -= size;
            received += size;
            if (credit <= 0)
            {
                // Credit spent: the handler's stream has been read exactly as far as what was sent, not a chunk further.
                Assert.Equal(received, await ProducedAsync(peer, probe));
                while (credit <= 0)
                {
                    await peer.SendAsync(Credit(5, 50_000));
                    credit += 50_000;
                }
            }
        }

        Assert.Equal(length, received);
        Assert.Equal(Patterns.PatternChecksum(length), Patterns.Checksum(bytes.ToArray()));
        Assert.Contains(sizes, s => s > 64 * 1024); // larger chunks than the 64 KiB a Stream was once cut into
    }

    [Fact]
    public async Task A_handler_grants_a_Stream_argument_the_byte_window_and_an_item_stream_the_item_window()
    {
        var endpoint = Endpoints.InProc();
        var options = new IpcOptions { Streams = { CreditWindow = 100_000, ByteCreditWindow = 300_000 } };
        await using var server = await IpcServer.StartAsync(endpoint, b => b.Handle<IBlobs>(new BlobService()).Handle<IStreams>(new StreamService()), options);
        await using var peer = await RawPeer.ConnectAsync(endpoint);
        await peer.SendAsync(RawPeer.Frame(FrameKind.Hello, json: RawPeer.Hello()));
        await peer.ExpectAsync(FrameKind.Hello);
        var streams = ContractRegistry.Get<IStreams>();

        await peer.SendAsync(RawPeer.Frame(FrameKind.Request, Blobs.Id, Method("UploadAsync"), 11, """{"label":"w","pauseMs":0}"""));
        var bytesCredit = await peer.ExpectAsync(FrameKind.StreamCredit);
        Assert.Equal((FrameFlags.Upstream, 11ul), (bytesCredit.Header.Flags, bytesCredit.Header.CorrelationId));
        Assert.Equal(300_000u, BinaryPrimitives.ReadUInt32LittleEndian(peer.LastPayload));

        var sum = streams.Methods.Single(m => m.Name == "SumAsync").Id;
        await peer.SendAsync(RawPeer.Frame(FrameKind.Request, streams.Id, sum, 12, "{}"));
        var itemsCredit = await peer.ExpectAsync(FrameKind.StreamCredit);
        Assert.Equal((FrameFlags.Upstream, 12ul), (itemsCredit.Header.Flags, itemsCredit.Header.CorrelationId));
        Assert.Equal(100_000u, BinaryPrimitives.ReadUInt32LittleEndian(peer.LastPayload));
    }
}
