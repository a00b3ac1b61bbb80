using System.Buffers.Binary;
using System.Text;
using IpcContracts.Protocol;
using IpcContracts.Runtime;
using IpcContracts.TestContracts;
using IpcContracts.Tests.Support;

namespace IpcContracts.Tests.Protocol;

/// <summary>
/// Binary payloads byte by byte (docs/protocol.md 7.10), driven with hand-written frames against a real server, so the
/// document is what a client written from it would meet.
/// </summary>
public sealed class BinaryWireTests
{
    private static readonly ContractDescriptor Calc = ContractRegistry.Get<ICalculator>();
    private static uint Method(string name) => Calc.Methods.Single(m => m.Name == name).Id;

    private static Task<(IpcServer Server, RawPeer Peer)> StartAsync() => WireProtocolTests.StartAsync(RawPeer.Hello());

    /// <summary>[argument object][bytes][length of bytes, u32 LE].</summary>
    private static byte[] BinaryArguments(string json, byte[] bytes, uint? claimedLength = null)
    {
        var jsonBytes = Encoding.UTF8.GetBytes(json);
        var payload = new byte[jsonBytes.Length + bytes.Length + 4];
        jsonBytes.CopyTo(payload, 0);
        bytes.CopyTo(payload, jsonBytes.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(payload.AsSpan(payload.Length - 4), claimedLength ?? (uint)bytes.Length);
        return payload;
    }

    [Fact]
    public async Task A_byte_array_result_is_the_raw_bytes_of_a_Response_with_the_Binary_flag()
    {
        var (server, peer) = await StartAsync();
        await using var _ = server;
        await using var __ = peer;

        await peer.SendAsync(RawPeer.Frame(FrameKind.Request, Calc.Id, Method("MakeBytesAsync"), 3, """{"length":300,"seed":7}"""));
        var response = await peer.ExpectAsync(FrameKind.Response);

        Assert.Equal(FrameFlags.Binary, response.Header.Flags);
        Assert.Equal(Patterns.Bytes(300, 7), peer.LastPayload);
    }

    [Fact]
    public async Task An_empty_byte_array_result_is_an_empty_binary_Response()
    {
        var (server, peer) = await StartAsync();
        await using var _ = server;
        await using var __ = peer;

        await peer.SendAsync(RawPeer.Frame(FrameKind.Request, Calc.Id, Method("MakeBytesAsync"), 3, """{"length":0,"seed":7}"""));
        var response = await peer.ExpectAsync(FrameKind.Response);

        Assert.Equal(FrameFlags.Binary, response.Header.Flags);
        Assert.Empty(peer.LastPayload);
    }

    [Fact]
    public async Task A_binary_argument_is_read_from_the_bytes_after_the_argument_object()
    {
        var (server, peer) = await StartAsync();
        await using var _ = server;
        await using var __ = peer;

        var data = Patterns.Bytes(1000, 3);
        await peer.SendAsync(RawPeer.Frame(FrameKind.Request, Calc.Id, Method("EchoBytesAsync"), 4, BinaryArguments("{}", data), FrameFlags.Binary));
        var response = await peer.ExpectAsync(FrameKind.Response);

        Assert.Equal(FrameFlags.Binary, response.Header.Flags);
        Assert.Equal(data, peer.LastPayload);
    }

    [Fact]
    public async Task A_binary_argument_sent_as_a_base64_member_without_the_flag_reads_as_the_same_bytes()
    {
        var (server, peer) = await StartAsync();
        await using var _ = server;
        await using var __ = peer;

        var data = Patterns.Bytes(100, 5);
        await peer.SendAsync(RawPeer.Frame(FrameKind.Request, Calc.Id, Method("EchoBytesAsync"), 4, $$"""{"data":"{{Convert.ToBase64String(data)}}"}"""));
        await peer.ExpectAsync(FrameKind.Response);

        Assert.Equal(data, peer.LastPayload);
    }

    [Theory]
    [InlineData(5000u)] // claims more bytes than the payload holds
    [InlineData(uint.MaxValue)]
    public async Task A_binary_section_whose_length_does_not_fit_fails_only_that_call(uint claimed)
    {
        var (server, peer) = await StartAsync();
        await using var _ = server;
        await using var __ = peer;

        await peer.SendAsync(RawPeer.Frame(FrameKind.Request, Calc.Id, Method("SizeOfAsync"), 6, BinaryArguments("{}", new byte[10], claimed), FrameFlags.Binary));
        var error = await peer.ExpectAsync(FrameKind.Error);
        await peer.SendAsync(RawPeer.Frame(FrameKind.Request, Calc.Id, Method("GetAnswerAsync"), 7, "{}"));
        var ok = await peer.ExpectAsync(FrameKind.Response);

        Assert.Equal(6ul, error.Header.CorrelationId);
        Assert.Equal(ErrorCodes.BadPayload, RawPeer.Parse(error.Json).GetProperty("code").GetString());
        Assert.Contains("binary", RawPeer.Parse(error.Json).GetProperty("message").GetString());
        Assert.Equal("42", ok.Json);
    }

    [Fact]
    public async Task A_Binary_payload_shorter_than_its_length_field_fails_only_that_call()
    {
        var (server, peer) = await StartAsync();
        await using var _ = server;
        await using var __ = peer;

        await peer.SendAsync(RawPeer.Frame(FrameKind.Request, Calc.Id, Method("SizeOfAsync"), 6, new byte[] { 1, 2 }, FrameFlags.Binary));
        var error = await peer.ExpectAsync(FrameKind.Error);

        Assert.Equal(ErrorCodes.BadPayload, RawPeer.Parse(error.Json).GetProperty("code").GetString());
    }

    [Fact]
    public async Task A_Bus_Request_with_the_Binary_flag_fails_only_that_call()
    {
        var (server, peer) = await StartAsync();
        await using var _ = server;
        await using var __ = peer;

        await peer.SendAsync(RawPeer.Frame(FrameKind.Request, 0, 12345, 6, BinaryArguments("{}", new byte[3]), FrameFlags.Bus | FrameFlags.Binary));
        var error = await peer.ExpectAsync(FrameKind.Error);
        await peer.SendAsync(RawPeer.Frame(FrameKind.Request, Calc.Id, Method("GetAnswerAsync"), 7, "{}"));
        var ok = await peer.ExpectAsync(FrameKind.Response);

        Assert.Equal(ErrorCodes.BadPayload, RawPeer.Parse(error.Json).GetProperty("code").GetString());
        Assert.Equal("42", ok.Json);
    }
}
