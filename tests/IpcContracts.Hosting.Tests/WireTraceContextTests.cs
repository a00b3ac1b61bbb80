using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using IpcContracts.Connections;
using IpcContracts.Diagnostics;
using IpcContracts.Protocol;
using IpcContracts.TestContracts;

namespace IpcContracts.Hosting.Tests;

/// <summary>The trace-context prefix byte by byte (docs/protocol.md, "Trace context").</summary>
[Collection(TelemetryCollection.Name)] // Activity.Current and listeners are process-wide
public sealed class WireTraceContextTests
{
    private static readonly FrameHeaderTemplate Request = new(FrameKind.Request, FrameFlags.None, 0x01020304, 0x05060708, 9);

    [Fact]
    public void Without_a_current_activity_a_request_has_no_flag_and_no_prefix()
    {
        Assert.Null(Activity.Current);
        var (header, payload) = Build(Request, "{}");

        Assert.Equal(FrameFlags.None, header.Flags);
        Assert.Equal("{}", Encoding.UTF8.GetString(payload));
    }

    [Fact]
    public void With_a_current_activity_a_request_carries_traceparent_and_tracestate_before_the_json()
    {
        using var spans = new SpanRecorder();
        using var activity = SpanRecorder.TestSource.StartActivity("caller")!;
        activity.TraceStateString = "vendor=abc";

        var (header, payload) = Build(Request, "{\"a\":1}");

        Assert.Equal(FrameFlags.TraceContext, header.Flags);
        var traceParent = $"00-{activity.TraceId.ToHexString()}-{activity.SpanId.ToHexString()}-01";
        Assert.Equal(55, traceParent.Length);
        var expected = new List<byte> { 55 };
        expected.AddRange(Encoding.ASCII.GetBytes(traceParent));
        expected.AddRange([10, 0]); // u16 LE tracestate length
        expected.AddRange(Encoding.ASCII.GetBytes("vendor=abc"));
        expected.AddRange(Encoding.UTF8.GetBytes("{\"a\":1}"));
        Assert.Equal(expected.ToArray(), payload);
        Assert.Equal(payload.Length, header.PayloadLength);
    }

    [Fact]
    public void Replies_and_control_frames_never_carry_the_prefix()
    {
        using var spans = new SpanRecorder();
        using var activity = SpanRecorder.TestSource.StartActivity("caller")!;

        var (header, payload) = Build(Request with { Kind = FrameKind.Response }, "42");

        Assert.Equal(FrameFlags.None, header.Flags);
        Assert.Equal("42", Encoding.UTF8.GetString(payload));
    }

    [Theory]
    [InlineData(new byte[] { })]                         // no length byte
    [InlineData(new byte[] { 0, 0, 0 })]                 // empty traceparent
    [InlineData(new byte[] { 5, (byte)'a', (byte)'b' })] // traceparent past the end
    [InlineData(new byte[] { 1, (byte)'a', 3 })]         // tracestate length cut
    [InlineData(new byte[] { 1, (byte)'a', 4, 0, (byte)'x' })] // tracestate past the end
    [InlineData(new byte[] { 1, 0x07, 0, 0 })]           // not printable ASCII
    public void A_malformed_prefix_is_rejected(byte[] prefix)
    {
        var payload = new ReadOnlySequence<byte>([.. prefix, .. "{}"u8.ToArray()]);
        if (prefix.Length == 0) payload = ReadOnlySequence<byte>.Empty;
        Assert.False(TraceContextPrefix.TryStrip(ref payload, parse: true, out _, out var error));
        Assert.NotNull(error);
    }

    [Fact]
    public void A_well_framed_but_invalid_traceparent_is_ignored_as_W3C_asks()
    {
        var payload = new ReadOnlySequence<byte>([3, (byte)'x', (byte)'y', (byte)'z', 0, 0, .. "{}"u8.ToArray()]);
        Assert.True(TraceContextPrefix.TryStrip(ref payload, parse: true, out var parent, out _));
        Assert.Equal(default, parent);
        Assert.Equal("{}", Encoding.UTF8.GetString(payload.ToArray()));
    }

    [Fact]
    public async Task A_request_with_a_bad_prefix_fails_with_bad_payload_and_the_connection_stays_open()
    {
        var endpoint = Endpoints.Pipe();
        await using var server = await IpcServer.StartAsync(endpoint, s => s.Handle<ICalculator>(new Calculator()));
        var runtimeDir = Environment.GetEnvironmentVariable("XDG_RUNTIME_DIR");
        var path = Path.Combine(string.IsNullOrEmpty(runtimeDir) ? Path.GetTempPath() : runtimeDir, $"ipccontracts-{Environment.UserName}",
            endpoint["pipe://".Length..] + ".sock"); // where pipe:// puts its socket (README, "Endpoints and transports")
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(path));
        await using var stream = new NetworkStream(socket);

        var (hello, _) = await ReadFrameAsync(stream);
        Assert.Equal(FrameKind.Hello, hello.Kind);
        await WriteFrameAsync(stream, new FrameHeader(FrameKind.Hello, FrameFlags.None, 0, 0, 0, 0), "{\"protocol\":1,\"name\":\"raw\"}"u8.ToArray());
        var calculator = Runtime.ContractRegistry.Get<ICalculator>();
        var answer = calculator.Methods.Single(m => m.Name == "GetAnswerAsync");

        // Flag set, but the prefix claims a 200-byte traceparent in a 4-byte payload.
        await WriteFrameAsync(stream, new FrameHeader(FrameKind.Request, FrameFlags.TraceContext, calculator.Id, answer.Id, 7, 0), [200, .. "{}"u8.ToArray(), 0]);
        var (error, errorPayload) = await ReadFrameAsync(stream);
        Assert.Equal((FrameKind.Error, 7UL, FrameFlags.None), (error.Kind, error.CorrelationId, error.Flags));
        Assert.Contains("\"code\":\"bad_payload\"", Encoding.UTF8.GetString(errorPayload));

        // The same call with a good prefix is answered; the reply does not echo the flag.
        byte[] good = [.. new byte[] { 55 }, .. Encoding.ASCII.GetBytes($"00-{ActivityTraceId.CreateRandom().ToHexString()}-{ActivitySpanId.CreateRandom().ToHexString()}-01"), 0, 0, .. "{}"u8.ToArray()];
        await WriteFrameAsync(stream, new FrameHeader(FrameKind.Request, FrameFlags.TraceContext, calculator.Id, answer.Id, 8, 0), good);
        var (response, responsePayload) = await ReadFrameAsync(stream);
        Assert.Equal((FrameKind.Response, 8UL, FrameFlags.None), (response.Kind, response.CorrelationId, response.Flags));
        Assert.Equal("42", Encoding.UTF8.GetString(responsePayload));
    }

    private static (FrameHeader Header, byte[] Payload) Build(FrameHeaderTemplate template, string json)
    {
        var frame = FrameBuilder.Raw(template, Encoding.UTF8.GetBytes(json), int.MaxValue);
        try
        {
            var bytes = frame.Memory.ToArray();
            var header = FrameHeader.Read(bytes, int.MaxValue);
            return (header, bytes[FrameHeader.Size..]);
        }
        finally
        {
            frame.Release();
        }
    }

    private static async Task WriteFrameAsync(Stream stream, FrameHeader header, byte[] payload)
    {
        var bytes = new byte[FrameHeader.Size + payload.Length];
        (header with { PayloadLength = payload.Length }).Write(bytes);
        payload.CopyTo(bytes, FrameHeader.Size);
        await stream.WriteAsync(bytes);
    }

    private static async Task<(FrameHeader, byte[])> ReadFrameAsync(Stream stream)
    {
        var head = new byte[FrameHeader.Size];
        await stream.ReadExactlyAsync(head).AsTask().WaitAsync(TimeSpan.FromSeconds(30));
        var header = FrameHeader.Read(head, int.MaxValue);
        var payload = new byte[BinaryPrimitives.ReadInt32LittleEndian(head.AsSpan(24))];
        await stream.ReadExactlyAsync(payload).AsTask().WaitAsync(TimeSpan.FromSeconds(30));
        return (header, payload);
    }
}
