using IpcContracts.Connections;
using IpcContracts.Runtime;

namespace IpcContracts;

/// <summary>
/// Registers what an endpoint (server or client) handles before it starts, so the first Hello
/// already lists every handler.
/// </summary>
/// <remarks>
/// One made with the public constructor outlives connections: pass it to
/// <see cref="IpcClient.ConnectAsync(Transports.IpcEndpoint, IpcEndpointBuilder, CancellationToken)"/> (again after a failed
/// connect) and its handlers and subscriptions serve whichever connection is open. The hosting package's clients
/// work this way.
/// </remarks>
public sealed class IpcEndpointBuilder
{
    internal IpcEndpointBuilder(LocalHandlers handlers) => Handlers = handlers;

    /// <summary>An endpoint with <paramref name="options"/> (defaults when null) and nothing registered yet.</summary>
    /// <exception cref="IpcConfigurationException">The options are invalid.</exception>
    public IpcEndpointBuilder(IpcOptions? options = null) : this(new LocalHandlers((options ?? new IpcOptions()).Validate())) { }

    internal LocalHandlers Handlers { get; }

    /// <summary>The server or client this builder was last used for (set before it serves anything); null before that.</summary>
    internal IOutboundChannel? Owner
    {
        get => Volatile.Read(ref _owner);
        set => Volatile.Write(ref _owner, value);
    }

    private IOutboundChannel? _owner;

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
    /// receives the calling connection (use it to call back into that peer: <c>connection.Proxy&lt;TCallback&gt;()</c>).
    /// The handler it returns serves that one call, so state that outlives a call belongs in an object the factory
    /// passes to it.
    /// </summary>
    public IpcEndpointBuilder Handle<TContract>(Func<IpcConnection, TContract> factory) where TContract : class
    {
        ArgumentNullException.ThrowIfNull(factory);
        Handlers.AddRequestHandler(new RequestHandlerEntry<TContract>(ContractRegistry.Get<TContract>(ContractKind.Request), factory));
        return this;
    }

    /// <summary>
    /// Handles [RequestContract] <typeparamref name="TContract"/> with a handler that lives in a scope of its own call
    /// (a DI scope, say): <paramref name="beginScope"/> runs per call with the calling connection,
    /// <paramref name="resolve"/> gets the handler from that scope, and the scope is disposed once the call has
    /// completed (after the reply is sent), also when the handler throws or completes asynchronously.
    /// </summary>
    public IpcEndpointBuilder HandleScoped<TContract, TScope>(Func<IpcConnection, TScope> beginScope, Func<TScope, TContract> resolve)
        where TContract : class where TScope : IAsyncDisposable
    {
        ArgumentNullException.ThrowIfNull(beginScope);
        ArgumentNullException.ThrowIfNull(resolve);
        Handlers.AddRequestHandler(new ScopedRequestHandlerEntry<TContract, TScope>(ContractRegistry.Get<TContract>(ContractKind.Request), beginScope, resolve));
        return this;
    }

    /// <summary>
    /// A publisher for [EventContract] <typeparamref name="TContract"/> events of the endpoint this builder configures: on a
    /// server, to every subscribed client (as <see cref="IpcServer.Publisher{TContract}"/>); on a client, to its server (as
    /// <see cref="IpcClient.Publisher{TContract}"/>). Take it while configuring and hand it to a handler, so the handler
    /// needs no reference to a server that does not exist yet:
    /// <code>
    /// await using var server = await IpcServer.StartAsync("pipe://inventory", s =>
    ///     s.Handle&lt;IInventory&gt;(new InventoryService(s.Publisher&lt;IInventoryEvents&gt;())));
    /// </code>
    /// </summary>
    /// <remarks>
    /// A server's publisher works from the moment the server exists, before any client can connect, so every handler
    /// may use it; a client's once <see cref="IpcClient.ConnectAsync(string, Action{IpcEndpointBuilder}?, IpcOptions?, CancellationToken)"/>
    /// has returned (a builder reused for a new client follows the newest one). Publishing earlier (from the configure
    /// callback itself, or after the start failed) throws <see cref="InvalidOperationException"/>; after the server or
    /// client is disposed it throws as their own publishers do.
    /// </remarks>
    /// <exception cref="InvalidOperationException">(when publishing) The server or client does not exist yet.</exception>
    public TContract Publisher<TContract>() where TContract : class
    {
        var contract = ContractRegistry.Get<TContract>(ContractKind.Event);
        return contract.CreateProxy(new EndpointPublisher(this, contract.Alias));
    }

    /// <summary>
    /// Receives the peer's [EventContract] <typeparamref name="TContract"/> events until the token is disposed. Made
    /// before connecting, the subscription is in the first Hello (no event published after the handshake is missed);
    /// it holds across reconnects. The listener is held strongly unless <paramref name="weak"/> is true.
    /// </summary>
    public IDisposable Subscribe<TContract>(TContract listener, bool weak = false) where TContract : class =>
        SubscriptionApi.Subscribe(Handlers, listener, weak);

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
