using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using System.Text.Json;
using IpcContracts.Protocol;
using IpcContracts.Transports;

namespace IpcContracts.Tests.Support;

/// <summary>A hand-driven peer that writes and reads raw frames, to test the protocol from outside.</summary>
internal sealed class RawPeer : IAsyncDisposable
{
    private readonly ITransportConnection _connection;

    private RawPeer(ITransportConnection connection) => _connection = connection;

    public static async Task<RawPeer> ConnectAsync(string endpoint)
    {
        var ep = IpcEndpoint.Parse(endpoint);
        return new RawPeer(await TransportRegistry.Resolve(ep).ConnectAsync(ep, new IpcOptions(), CancellationToken.None));
    }

    /// <summary>A raw peer on the server side: the next connection <paramref name="listener"/> accepts.</summary>
    public static async Task<RawPeer> AcceptAsync(IIpcListener listener) =>
        new(await listener.AcceptAsync(CancellationToken.None).AsTask().WaitAsync(TimeSpan.FromSeconds(20)));

    public static byte[] Frame(FrameKind kind, uint contract = 0, uint method = 0, ulong correlation = 0, string? json = null, FrameFlags flags = FrameFlags.None)
    {
        var payload = json is null ? [] : Encoding.UTF8.GetBytes(json);
        var frame = new byte[FrameHeader.Size + payload.Length];
        new FrameHeader(kind, flags, contract, method, correlation, payload.Length).Write(frame);
        payload.CopyTo(frame, FrameHeader.Size);
        return frame;
    }

    /// <summary>A frame with a payload of raw bytes (binary payloads, docs/protocol.md 7.10).</summary>
    public static byte[] Frame(FrameKind kind, uint contract, uint method, ulong correlation, byte[] payload, FrameFlags flags)
    {
        var frame = new byte[FrameHeader.Size + payload.Length];
        new FrameHeader(kind, flags, contract, method, correlation, payload.Length).Write(frame);
        payload.CopyTo(frame, FrameHeader.Size);
        return frame;
    }

    /// <summary>The payload of the frame ReceiveAsync returned last, as bytes (its Json is the same decoded as UTF-8).</summary>
    public byte[] LastPayload { get; private set; } = [];

    public static string Hello(string contractsJson = "[]", string subscribes = "[]") =>
        $$"""{"protocol":1,"name":"raw-peer","contracts":{{contractsJson}},"subscribes":{{subscribes}},"busHandles":[],"busSubscribes":[]}""";

    /// <summary>The Hello manifest's <c>contracts</c> entry of a peer that handles <paramref name="contract"/> (docs/protocol.md 4.1).</summary>
    public static string Handles(IpcContracts.Runtime.ContractDescriptor contract)
    {
        var methods = string.Join(",", contract.Methods.Select(m => $$"""{"id":{{m.Id}},"name":"{{m.Name}}","fp":{{m.ShapeFingerprint}},"sig":""}"""));
        return $$"""[{"id":{{contract.Id}},"alias":"{{contract.Alias}}","kind":1,"handled":true,"methods":[{{methods}}]}]""";
    }

    public async Task SendAsync(byte[] bytes)
    {
        await _connection.Output.WriteAsync(bytes);
    }

    /// <summary>shm:// only: waits (bounded) until the other side has taken every byte sent so far out of the ring.</summary>
    public async Task WaitUntilReadAsync(TimeSpan bound)
    {
        var shm = (IpcContracts.Transports.SharedMemory.ShmConnection)_connection;
        var deadline = DateTime.UtcNow + bound;
        while (shm.UnreadByPeer > 0)
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"The peer left {shm.UnreadByPeer} bytes unread for {bound}.");
            await Task.Delay(5);
        }
    }

    /// <summary>Reads the next frame; null when the other side closed the stream.</summary>
    public async Task<(FrameHeader Header, string Json)?> ReceiveAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(10));
        var input = _connection.Input;
        while (true)
        {
            ReadResult result;
            try
            {
                result = await input.ReadAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException("No frame arrived.");
            }
            var buffer = result.Buffer;
            if (buffer.Length >= FrameHeader.Size)
            {
                var headerBytes = buffer.Slice(0, FrameHeader.Size).ToArray();
                var header = FrameHeader.Read(headerBytes, int.MaxValue);
                if (buffer.Length >= FrameHeader.Size + header.PayloadLength)
                {
                    LastPayload = buffer.Slice(FrameHeader.Size, header.PayloadLength).ToArray();
                    var json = Encoding.UTF8.GetString(LastPayload);
                    input.AdvanceTo(buffer.GetPosition(FrameHeader.Size + header.PayloadLength));
                    return (header, json);
                }
            }
            if (result.IsCompleted)
            {
                input.AdvanceTo(buffer.End);
                return null;
            }
            input.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    /// <summary>Skips frames until one of <paramref name="kind"/> arrives.</summary>
    public async Task<(FrameHeader Header, string Json)> ExpectAsync(FrameKind kind)
    {
        while (true)
        {
            var frame = await ReceiveAsync() ?? throw new Xunit.Sdk.XunitException($"Stream closed while waiting for {kind}.");
            if (frame.Header.Kind == kind) return frame;
        }
    }

    public static JsonElement Parse(string json) => JsonDocument.Parse(json).RootElement;

    public ValueTask DisposeAsync() => _connection.DisposeAsync();
}
