using IpcContracts.Connections;
using IpcContracts.Runtime;

namespace IpcContracts;

/// <summary>
/// Registers what an endpoint (server or client) handles before it starts, so the first Hello
/// already lists every handler.
/// </summary>
public sealed class IpcEndpointBuilder
{
    internal IpcEndpointBuilder(LocalHandlers handlers) => Handlers = handlers;

    internal LocalHandlers Handlers { get; }

    /// <summary>The options in effect (limits, timeouts).</summary>
    public IpcOptions Options => Handlers.Options;

    /// <summary>Handles [RequestContract] <typeparamref name="TContract"/> with one shared instance.</summary>
    public IpcEndpointBuilder Handle<TContract>(TContract implementation) where TContract : class
    {
        ArgumentNullException.ThrowIfNull(implementation);
        return Handle<TContract>(_ => implementation);
    }

    /// <summary>
    /// Handles [RequestContract] <typeparamref name="TContract"/>; <paramref name="factory"/> runs per call and
    /// receives the calling connection (use it to call back into that peer).
    /// </summary>
    public IpcEndpointBuilder Handle<TContract>(Func<IpcConnection, TContract> factory) where TContract : class
    {
        ArgumentNullException.ThrowIfNull(factory);
        Handlers.AddRequestHandler(new RequestHandlerEntry<TContract>(ContractRegistry.Get<TContract>(ContractKind.Request), factory));
        return this;
    }

    /// <summary>
    /// Untyped handler for tools: answers <paramref name="method"/> of contract <paramref name="contractAlias"/>
    /// without an interface. The handler gets the argument object as JSON and returns the result as JSON (null for none).
    /// </summary>
    public IpcEndpointBuilder HandleRaw(string contractAlias, string method, Func<RawCall, ValueTask<string?>> handler)
    {
        ArgumentException.ThrowIfNullOrEmpty(contractAlias);
        ArgumentException.ThrowIfNullOrEmpty(method);
        ArgumentNullException.ThrowIfNull(handler);
        Handlers.AddRawHandler(contractAlias, method, handler);
        return this;
    }
}
