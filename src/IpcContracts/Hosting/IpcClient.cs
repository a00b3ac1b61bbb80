using IpcContracts.Connections;
using IpcContracts.Runtime;
using IpcContracts.Transports;

namespace IpcContracts;

/// <summary>
/// A connection to an <see cref="IpcServer"/>: proxies for its request contracts, subscriptions to
/// its events, and handlers for calls the server makes back (duplex).
/// </summary>
/// <remarks>Reconnecting is explicit: when <see cref="Connection"/> faults, dispose the client and connect again.</remarks>
public sealed class IpcClient : IAsyncDisposable
{
    private readonly LocalHandlers _handlers;

    private IpcClient(IpcEndpoint endpoint, LocalHandlers handlers, IpcConnection connection)
    {
        Endpoint = endpoint;
        _handlers = handlers;
        Connection = connection;
    }

    /// <summary>The server endpoint.</summary>
    public IpcEndpoint Endpoint { get; }

    /// <summary>The underlying connection (ping, untyped calls, completion).</summary>
    public IpcConnection Connection { get; }

    /// <summary>Connects to <paramref name="endpoint"/> (e.g. <c>pipe://inventory</c>) and completes the handshake.</summary>
    public static Task<IpcClient> ConnectAsync(string endpoint, Action<IpcEndpointBuilder>? configure = null, IpcOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        var handlers = new LocalHandlers((options ?? new IpcOptions()).Validate());
        configure?.Invoke(new IpcEndpointBuilder(handlers));
        return ConnectAsync(IpcEndpoint.Parse(endpoint), handlers, cancellationToken);
    }

    internal static async Task<IpcClient> ConnectAsync(IpcEndpoint endpoint, LocalHandlers handlers, CancellationToken cancellationToken)
    {
        var transport = TransportRegistry.Resolve(endpoint);
        var connection = await transport.ConnectAsync(endpoint, handlers.Options, cancellationToken).ConfigureAwait(false);
        try
        {
            return new IpcClient(endpoint, handlers, await IpcConnection.StartAsync(connection, handlers, cancellationToken).ConfigureAwait(false));
        }
        catch (IpcProtocolException e)
        {
            throw new ChannelFaultedException($"Could not connect to {endpoint}: {e.Message}", e);
        }
    }

    /// <summary>A proxy for [RequestContract] <typeparamref name="TContract"/> handled by the server.</summary>
    public TContract Proxy<TContract>() where TContract : class => Connection.Proxy<TContract>();

    /// <summary>A publisher for [EventContract] <typeparamref name="TContract"/> events sent to the server.</summary>
    public TContract Publisher<TContract>() where TContract : class => Connection.Publisher<TContract>();

    /// <summary>
    /// Receives the server's [EventContract] <typeparamref name="TContract"/> events until the token is disposed.
    /// The listener is held strongly unless <paramref name="weak"/> is true.
    /// </summary>
    /// <exception cref="ContractMismatchException">The server does not know the contract, or has it with another shape.</exception>
    public IDisposable Subscribe<TContract>(TContract listener, bool weak = false) where TContract : class
    {
        var contract = ContractRegistry.Get<TContract>(ContractKind.Event);
        if (Connection.Peer.CheckEventContract(contract) is { } mismatch) throw mismatch;
        return SubscriptionApi.Subscribe(_handlers, listener, weak);
    }

    /// <summary>Closes the connection (the server sees a Goodbye).</summary>
    public ValueTask DisposeAsync() => Connection.DisposeAsync();
}
