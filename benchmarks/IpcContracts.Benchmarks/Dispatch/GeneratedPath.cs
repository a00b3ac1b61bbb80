using System.Buffers;
using System.Text;
using System.Text.Json.Serialization.Metadata;
using IpcContracts.Protocol;
using IpcContracts.Runtime;

namespace IpcContracts.Benchmarks.Dispatch;

/// <summary>
/// The receiving side of IpcContracts without a connection: frame bytes in, header parsed, the
/// generated dispatcher (<c>switch</c> on the method ID, arguments parsed with source-generated JSON
/// metadata, the handler called), the reply serialized into a pooled frame. This is the work that
/// replaces seed 000's envelope, <c>Type.GetType</c> and <c>MethodInfo.Invoke</c>; the connection's own
/// per-request bookkeeping (cancellation source, in-flight table, send queue) is not included here and is
/// part of the round-trip measurements.
/// </summary>
internal static class GeneratedPath
{
    public static readonly ContractDescriptor<IEcho> Echo = ContractRegistry.Get<IEcho>(ContractKind.Request);
    public static readonly ContractDescriptor<IBenchEvents> Events = ContractRegistry.Get<IBenchEvents>(ContractKind.Event);

    /// <summary>An <c>EchoAsync</c> request frame, written by hand (no serializer runs to build it).</summary>
    public static byte[] RequestFrame(string data) => HandWritten(FrameKind.Request, Echo.Id, MethodId(Echo, nameof(IEcho.EchoAsync)), 1, data);

    /// <summary>A <c>Tick</c> event frame, written by hand.</summary>
    public static byte[] EventFrame(string data) => HandWritten(FrameKind.Event, Events.Id, MethodId(Events, nameof(IBenchEvents.Tick)), 0, data);

    /// <summary>Dispatches one request frame; the reply frame is returned (give it back with <see cref="Frame.Return"/>).</summary>
    public static Frame DispatchRequest(byte[] frame, BenchService service)
    {
        var header = FrameHeader.Read(frame, int.MaxValue);
        var call = new BenchCall(header, new ReadOnlySequence<byte>(frame, FrameHeader.Size, header.PayloadLength));
        var pending = Echo.DispatchAsync(service, call);
        if (!pending.IsCompletedSuccessfully) pending.AsTask().GetAwaiter().GetResult();
        return call.ReplyFrame ?? throw new InvalidOperationException("The dispatcher did not reply.");
    }

    /// <summary>Dispatches one event frame to the listener.</summary>
    public static void DispatchEvent(byte[] frame, BenchService listener)
    {
        var header = FrameHeader.Read(frame, int.MaxValue);
        var call = new BenchCall(header, new ReadOnlySequence<byte>(frame, FrameHeader.Size, header.PayloadLength));
        var pending = Events.DispatchAsync(listener, call);
        if (!pending.IsCompletedSuccessfully) pending.AsTask().GetAwaiter().GetResult();
    }

    private static uint MethodId(ContractDescriptor contract, string name)
    {
        foreach (var m in contract.Methods)
            if (m.Name == name) return m.Id;
        throw new InvalidOperationException($"{contract.Alias} has no method {name}.");
    }

    private static byte[] HandWritten(FrameKind kind, uint contractId, uint methodId, ulong correlationId, string data)
    {
        var payload = Encoding.UTF8.GetBytes("{\"payload\":{\"Data\":\"" + data + "\"}}");
        var frame = new byte[FrameHeader.Size + payload.Length];
        new FrameHeader(kind, FrameFlags.None, contractId, methodId, correlationId, payload.Length).Write(frame);
        payload.CopyTo(frame, FrameHeader.Size);
        return frame;
    }

    /// <summary>An inbound call without a connection: the reply becomes a pooled frame.</summary>
    private sealed class BenchCall(in FrameHeader header, ReadOnlySequence<byte> payload) : InboundCall
    {
        private readonly FrameHeader _header = header;

        public Frame? ReplyFrame { get; private set; }

        public override uint MethodId => _header.MethodId;
        public override ReadOnlySequence<byte> Payload => payload;
        public override CancellationToken CancellationToken => CancellationToken.None;
        public override IpcConnection Connection => throw new NotSupportedException("The in-process dispatch benchmark has no connection.");

        public override void Reply<T>(T value, JsonTypeInfo<T> typeInfo)
        {
            var json = FrameWriter.Begin(out var frame);
            System.Text.Json.JsonSerializer.Serialize(json, value, typeInfo);
            ReplyFrame = frame.Complete(FrameKind.Response, _header.ContractId, _header.MethodId, _header.CorrelationId);
        }

        public override void ReplyEmpty()
        {
            FrameWriter.Begin(out var frame);
            ReplyFrame = frame.Complete(FrameKind.Response, _header.ContractId, _header.MethodId, _header.CorrelationId);
        }
    }
}

/// <summary>
/// An outbound channel that only encodes: generated proxies write their frame into a pooled buffer and
/// nothing is sent. The serialize-only baseline of the events measurement and the encode micro-benchmarks.
/// </summary>
internal sealed class EncodeOnlyChannel : IOutboundChannel
{
    public long Bytes { get; private set; }

    public void Publish<TArgs>(MethodDescriptor method, TArgs args, ArgsWriter<TArgs> writeArgs) =>
        Encode(FrameKind.Event, method, args, writeArgs);

    public Task<TResult> RequestAsync<TArgs, TResult>(MethodDescriptor method, TArgs args, ArgsWriter<TArgs> writeArgs,
        JsonTypeInfo<TResult> resultType, CancellationToken cancellationToken)
    {
        Encode(FrameKind.Request, method, args, writeArgs);
        return Task.FromResult(default(TResult)!);
    }

    public Task RequestAsync<TArgs>(MethodDescriptor method, TArgs args, ArgsWriter<TArgs> writeArgs, CancellationToken cancellationToken)
    {
        Encode(FrameKind.Request, method, args, writeArgs);
        return Task.CompletedTask;
    }

    private void Encode<TArgs>(FrameKind kind, MethodDescriptor method, TArgs args, ArgsWriter<TArgs> writeArgs)
    {
        var json = FrameWriter.Begin(out var writer);
        json.WriteStartObject();
        writeArgs(json, args);
        json.WriteEndObject();
        var frame = writer.Complete(kind, method.Contract.Id, method.Id, 1);
        Bytes += frame.Length;
        frame.Return();
    }
}
