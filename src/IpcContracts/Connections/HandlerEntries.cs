using System.Buffers;
using System.Text.Json.Serialization.Metadata;
using IpcContracts.Runtime;

namespace IpcContracts.Connections;

/// <summary>A registered request handler for one contract.</summary>
internal abstract class RequestHandlerEntry
{
    public abstract ContractDescriptor Contract { get; }
    public abstract ValueTask DispatchAsync(InboundCall call);
}

internal sealed class RequestHandlerEntry<TContract>(ContractDescriptor<TContract> contract, Func<IpcConnection, TContract> factory)
    : RequestHandlerEntry where TContract : class
{
    public override ContractDescriptor Contract => contract;

    // The factory runs per call, so a handler may capture the calling connection for callbacks.
    public override ValueTask DispatchAsync(InboundCall call) => contract.DispatchAsync(factory(call.Connection), call);
}

/// <summary>
/// A handler resolved per call inside a scope that the call owns (a DI scope, for the hosting package): the scope is
/// begun before the handler is resolved and disposed once the dispatch has completed (after the reply was sent),
/// whether the handler completed synchronously, asynchronously or threw.
/// </summary>
internal sealed class ScopedRequestHandlerEntry<TContract, TScope>(ContractDescriptor<TContract> contract,
    Func<IpcConnection, TScope> beginScope, Func<TScope, TContract> resolve) : RequestHandlerEntry
    where TContract : class where TScope : IAsyncDisposable
{
    public override ContractDescriptor Contract => contract;

    public override ValueTask DispatchAsync(InboundCall call)
    {
        var scope = beginScope(call.Connection);
        ValueTask pending;
        try
        {
            pending = contract.DispatchAsync(resolve(scope), call);
        }
        catch
        {
            ObserveDispose(scope.DisposeAsync()); // the handler's exception is what the caller must see
            throw;
        }
        if (!pending.IsCompletedSuccessfully) return AwaitThenDisposeAsync(pending, scope);
        pending.GetAwaiter().GetResult();
        return scope.DisposeAsync();
    }

    private static async ValueTask AwaitThenDisposeAsync(ValueTask pending, TScope scope)
    {
        try
        {
            await pending.ConfigureAwait(false);
        }
        finally
        {
            await scope.DisposeAsync().ConfigureAwait(false);
        }
    }

    private static void ObserveDispose(ValueTask disposal)
    {
        if (!disposal.IsCompleted) _ = disposal.AsTask();
        else if (disposal.IsFaulted) _ = disposal.AsTask().Exception;
    }
}

/// <summary>A run-time handler for one alias and method, without an interface (untyped path).</summary>
internal sealed class RawHandlerEntry(string contractAlias, string method, Func<RawCall, ValueTask<string?>> handler)
{
    public string ContractAlias { get; } = contractAlias;
    public string Method { get; } = method;

    public ValueTask<string?> InvokeAsync(RawCall call) => handler(call);
}

/// <summary>An aggregator request handler for one request type.</summary>
internal abstract class BusRequestHandler
{
    public abstract uint RequestTypeId { get; }
    public abstract string Name { get; }
    public abstract ulong Fingerprint { get; }
    public abstract ValueTask DispatchAsync(InboundCall call);
}

internal sealed class BusRequestHandler<TRequest, TResponse>(
    MessageType<TRequest> request, MessageType<TResponse> response, Func<TRequest, CancellationToken, Task<TResponse>> handler)
    : BusRequestHandler
{
    public override uint RequestTypeId => request.Id;
    public override string Name => request.Name;
    public override ulong Fingerprint { get; } = BusFingerprint.Of(request.Name, response.Name);

    public Task<TResponse> InvokeLocalAsync(TRequest value, CancellationToken ct) => handler(value, ct);

    public override ValueTask DispatchAsync(InboundCall call)
    {
        var value = PayloadJson.ReadArguments(call.Payload, request.TypeInfo, request.Name);
        return Run(value, call);
    }

    private async ValueTask Run(TRequest value, InboundCall call)
    {
        var result = await handler(value, call.CancellationToken).ConfigureAwait(false);
        call.Reply(result, response.TypeInfo);
    }
}

internal static class BusFingerprint
{
    public static ulong Of(string requestName, string responseName) => Protocol.Fnv1a.Hash64($"B:{requestName}->{responseName}");
}

/// <summary>
/// Reads a whole payload as exactly one strict JSON value (docs/protocol.md, section 5): a comment, a second
/// value or any byte but whitespace after it is <see cref="ProtocolError.BadPayload"/>, like a value that does
/// not parse. The check is one more <c>Read()</c> of the same reader, so valid payloads are not copied or re-read.
/// </summary>
internal static class PayloadJson
{
    /// <summary>As <see cref="Read{T}(in ReadOnlySequence{byte}, JsonTypeInfo{T}, string)"/>; the description is only joined on failure.</summary>
    public static T Read<T>(in ReadOnlySequence<byte> payload, JsonTypeInfo<T> typeInfo, string whatPrefix, string what) =>
        Read(payload, typeInfo, whatPrefix, what, dispatch: false);

    /// <summary>
    /// A result or stream item: raw bytes when the frame has the Binary flag (T must then be a binary payload type), else
    /// JSON as <see cref="Read{T}(in ReadOnlySequence{byte}, JsonTypeInfo{T}, string, string)"/>.
    /// </summary>
    public static T ReadItem<T>(in ReadOnlySequence<byte> payload, bool binary, JsonTypeInfo<T> typeInfo, string whatPrefix, string what)
    {
        if (!binary) return Read(payload, typeInfo, whatPrefix, what, dispatch: false);
        if (!Serialization.BinaryPayload<T>.IsBinary)
            throw new IpcProtocolException(ProtocolError.BadPayload, $"The {whatPrefix}{what} arrived as raw bytes, but this side expects a {typeof(T).Name} in JSON.");
        return Serialization.BinaryPayload<T>.FromBytes(payload);
    }

    public static T Read<T>(in ReadOnlySequence<byte> payload, JsonTypeInfo<T> typeInfo, string what) =>
        Read(payload, typeInfo, "", what, dispatch: false);

    /// <summary>
    /// Reads the value of an inbound request; a failure is marked as the dispatch's own, so the caller is
    /// answered <c>bad_payload</c> (a parse failure inside the handler's own calls is <c>remote</c>).
    /// </summary>
    public static T ReadArguments<T>(in ReadOnlySequence<byte> payload, JsonTypeInfo<T> typeInfo, string what) =>
        Read(payload, typeInfo, "", what, dispatch: true);

    private static T Read<T>(in ReadOnlySequence<byte> payload, JsonTypeInfo<T> typeInfo, string whatPrefix, string what, bool dispatch)
    {
        try
        {
            // A payload in one piece (nearly every frame) is read as a span: the reader's span mode is cheaper.
            // Assigned in each branch, so each constructor builds the reader in place: a conditional expression builds it in
            // a temporary and copies it, and copying a Utf8JsonReader goes through the write-barrier helper.
            System.Text.Json.Utf8JsonReader reader;
            if (payload.IsSingleSegment) reader = new System.Text.Json.Utf8JsonReader(payload.FirstSpan);
            else reader = new System.Text.Json.Utf8JsonReader(payload);
            if (!reader.Read())
                throw new System.Text.Json.JsonException("The payload is empty; it holds exactly one JSON value.");
            var value = Serialization.JsonValueReader.Read(ref reader, typeInfo);
            // Throws for anything after the value but whitespace; true cannot happen with a single-value reader.
            if (reader.Read())
                throw new System.Text.Json.JsonException($"'{reader.TokenType}' after the JSON value; a payload holds exactly one value.");
            return value;
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new IpcProtocolException(ProtocolError.BadPayload, $"Payload is not a valid {whatPrefix}{what}: {e.Message}", e) { IsDispatchFailure = dispatch };
        }
    }
}
