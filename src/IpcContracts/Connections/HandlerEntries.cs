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
        var value = PayloadJson.Read(call.Payload, request.TypeInfo, request.Name);
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

/// <summary>Reads a whole payload as one JSON value, mapping parse failures to <see cref="ProtocolError.BadPayload"/>.</summary>
internal static class PayloadJson
{
    /// <summary>As <see cref="Read{T}(in ReadOnlySequence{byte}, JsonTypeInfo{T}, string)"/>; the description is only joined on failure.</summary>
    public static T Read<T>(in ReadOnlySequence<byte> payload, JsonTypeInfo<T> typeInfo, string whatPrefix, string what)
    {
        try
        {
            var reader = new System.Text.Json.Utf8JsonReader(payload);
            return System.Text.Json.JsonSerializer.Deserialize(ref reader, typeInfo)!;
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new IpcProtocolException(ProtocolError.BadPayload, $"Payload is not a valid {whatPrefix}{what}: {e.Message}", e);
        }
    }

    public static T Read<T>(in ReadOnlySequence<byte> payload, JsonTypeInfo<T> typeInfo, string what)
    {
        try
        {
            var reader = new System.Text.Json.Utf8JsonReader(payload);
            return System.Text.Json.JsonSerializer.Deserialize(ref reader, typeInfo)!;
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new IpcProtocolException(ProtocolError.BadPayload, $"Payload is not a valid {what}: {e.Message}", e);
        }
    }
}
