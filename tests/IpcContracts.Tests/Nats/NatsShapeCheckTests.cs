using System.Buffers;
using System.Text;
using System.Text.Json;
using IpcContracts.Nats;
using IpcContracts.Runtime;
using IpcContracts.TestContracts;
using IpcContracts.Tests.Support;
using IpcContracts.Transports;
using NATS.Client.Core;

namespace IpcContracts.Tests.Nats;

/// <summary>
/// The receiver's shape check over a broker (docs/protocol.md section 9, "Fingerprints over the broker"): a serving process
/// judges each Request by the sender's headers Ipc-Fp and Ipc-Sig with the compatibility rule of section 6.5. The sender
/// here is a raw NATS connection, so the headers are exactly the ones under test.
/// </summary>
public sealed class NatsShapeCheckTests
{
    [NatsFact]
    public async Task A_serving_process_takes_a_request_from_a_compatible_shape_and_refuses_another_shape_or_a_missing_signature()
    {
        var endpoint = NatsBroker.NewEndpoint();
        await using var server = await IpcServer.StartAsync(endpoint, b => b.Handle<ICalculator>(new Calculator()));
        var address = NatsAddress.Parse(IpcEndpoint.Parse(endpoint), "ipc");
        var echo = ContractRegistry.Get<ICalculator>().Methods.Single(m => m.Name == "EchoAsync");
        var contractId = ContractRegistry.Get<ICalculator>().Id;
        await using var nats = new NatsConnection(NatsOpts.Default with { Url = address.Url });
        await nats.ConnectAsync();

        async Task<(byte Kind, string Payload)> CallAsync(ulong fingerprint, string? signature)
        {
            var headers = new NatsHeaders { ["Ipc-Fp"] = fingerprint.ToString(System.Globalization.CultureInfo.InvariantCulture) };
            if (signature is not null) headers["Ipc-Sig"] = signature;
            var request = WireFrame.Build(WireFrame.Request, 0, contractId, echo.Id, 7, """{"text":"hi","times":2}"""u8);
            var reply = await nats.RequestAsync(address.Request(contractId), request, headers,
                requestSerializer: NatsRawSerializer<byte[]>.Default, replySerializer: NatsRawSerializer<byte[]>.Default,
                replyOpts: new NatsSubOpts { Timeout = TimeSpan.FromSeconds(10) });
            var frame = new ReadOnlySequence<byte>(reply.Data!);
            Assert.True(WireFrame.TryReadMessage(frame, out var header));
            Assert.Equal(7UL, header.CorrelationId); // the caller's ID comes back
            return (header.Kind, Encoding.UTF8.GetString(reply.Data.AsSpan(WireFrame.HeaderSize)));
        }

        // Another fingerprint, but the sender's shape only adds an optional trailing parameter: served (the handler ignores "times").
        var newer = await CallAsync(echo.ShapeFingerprint + 1, "R:string(string text,int times=)");
        Assert.Equal((WireFrame.Response, "\"hi\""), newer);
        // The same extra parameter, required on the sender's side: refused before dispatch, with the reason.
        var required = await CallAsync(echo.ShapeFingerprint + 2, "R:string(string text,int times)");
        Assert.Equal(WireFrame.Error, required.Kind);
        using (var json = JsonDocument.Parse(required.Payload))
        {
            Assert.Equal("mismatch", json.RootElement.GetProperty("code").GetString());
            Assert.Equal("EchoAsync", json.RootElement.GetProperty("method").GetString());
            Assert.Contains("the sender's is R:string(string text,int times) ('int times' is only there, and it is not optional)",
                json.RootElement.GetProperty("message").GetString(), StringComparison.Ordinal);
        }
        // Another fingerprint without a signature: nothing to judge it by, refused as before.
        var unsigned = await CallAsync(echo.ShapeFingerprint + 3, null);
        Assert.Equal(WireFrame.Error, unsigned.Kind);
        Assert.Contains("sent no signature", unsigned.Payload, StringComparison.Ordinal);
        // The same fingerprint needs no signature.
        Assert.Equal((WireFrame.Response, "\"hi\""), await CallAsync(echo.ShapeFingerprint, null));
    }
}
