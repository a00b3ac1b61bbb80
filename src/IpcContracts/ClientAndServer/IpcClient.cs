using System.Text.Json.Serialization.Metadata;
using IpcContracts.Connections;
using IpcContracts.Runtime;
using IpcContracts.Transports;

namespace IpcContracts;

/// <summary>
/// A connection to an <see cref="IpcServer"/>: proxies for its request contracts, subscriptions to
/// its events, and handlers for calls the server makes back (duplex).
/// </summary>
/// <remarks>
/// When the connection drops, the client reconnects in the background with exponential backoff
/// (<see cref="ReconnectOptions.Enabled"/>, on by default). Proxies and publishers from this client keep
/// working across reconnects; subscriptions are restored by the new handshake; then
/// <see cref="ReconnectOptions.OnReconnected"/> runs. While disconnected, calls fail at once with
/// <see cref="ChannelFaultedException"/> (docs/semantics.md).
/// </remarks>
public sealed class IpcClient : IOutboundChannel, IAsyncDisposable
{
    private readonly LocalHandlers _handlers;
    private readonly CancellationTokenSource _disposing = new();
    private IpcConnection _connection;
    private Task _reconnectLoop = Task.CompletedTask;
    private int _disposed;

    private IpcClient(IpcEndpoint endpoint, LocalHandlers handlers, IpcConnection connection)
    {
        Endpoint = endpoint;
        _handlers = handlers;
        _connection = connection;
        if (handlers.Options.Reconnect.Enabled) _reconnectLoop = Task.Run(ReconnectLoopAsync);
    }

    /// <summary>The server endpoint.</summary>
    public IpcEndpoint Endpoint { get; }

    /// <summary>The current underlying connection (ping, untyped calls, completion); replaced after a reconnect.</summary>
    public IpcConnection Connection => Volatile.Read(ref _connection);

    /// <summary>How many times the client has reconnected.</summary>
    public int Reconnects { get; private set; }

    /// <summary>Raised after a reconnect (after <see cref="ReconnectOptions.OnReconnected"/> ran).</summary>
    public event Action<IpcClient>? Reconnected;

    /// <summary>Connects to <paramref name="endpoint"/> (e.g. <c>pipe://inventory</c>) and completes the handshake.</summary>
    /// <exception cref="NoServerListeningException">
    /// Nothing listens at <paramref name="endpoint"/>: at once, or after <see cref="IpcOptions.ConnectTimeout"/> with
    /// <see cref="IpcOptions.WaitForServer"/>.
    /// </exception>
    public static Task<IpcClient> ConnectAsync(string endpoint, Action<IpcEndpointBuilder>? configure = null, IpcOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        var handlers = new LocalHandlers((options ?? new IpcOptions()).Validate());
        var builder = new IpcEndpointBuilder(handlers);
        configure?.Invoke(builder);
        return ConnectAsync(IpcEndpoint.Parse(endpoint), builder, cancellationToken);
    }

    /// <summary>
    /// Connects to <paramref name="endpoint"/> with the handlers and subscriptions of <paramref name="handlers"/>, which
    /// may be reused: after a failed connect, or for a new client once this one is disposed.
    /// </summary>
    public static Task<IpcClient> ConnectAsync(IpcEndpoint endpoint, IpcEndpointBuilder handlers, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentNullException.ThrowIfNull(handlers);
        return ConnectAndOwnAsync(endpoint, handlers, cancellationToken);
    }

    // The builder's publishers (IpcEndpointBuilder.Publisher) publish through the newest client made with it.
    private static async Task<IpcClient> ConnectAndOwnAsync(IpcEndpoint endpoint, IpcEndpointBuilder builder, CancellationToken cancellationToken)
    {
        var client = await ConnectAsync(endpoint, builder.Handlers, cancellationToken).ConfigureAwait(false);
        builder.Owner = client;
        return client;
    }

    internal static async Task<IpcClient> ConnectAsync(IpcEndpoint endpoint, LocalHandlers handlers, CancellationToken cancellationToken) =>
        new(endpoint, handlers, await OpenAsync(endpoint, handlers, handlers.Options.WaitForServer, cancellationToken).ConfigureAwait(false));

    private static async Task<IpcConnection> OpenAsync(IpcEndpoint endpoint, LocalHandlers handlers, bool waitForServer, CancellationToken cancellationToken)
    {
        var transport = TransportRegistry.Resolve(endpoint);
        var connection = await ConnectTransportAsync(transport, endpoint, handlers.Options, waitForServer, cancellationToken).ConfigureAwait(false);
        try
        {
            return await IpcConnection.StartAsync(connection, handlers, cancellationToken).ConfigureAwait(false);
        }
        catch (IpcProtocolException e)
        {
            throw new ChannelFaultedException($"Could not connect to {endpoint}: {e.Message}", e);
        }
    }

    /// <summary>
    /// One transport connect; with <paramref name="waitForServer"/>, tries again while nothing listens, until
    /// <see cref="IpcOptions.ConnectTimeout"/>. Transports report "nothing listens" at once, so the wait is the same for all.
    /// </summary>
    private static async Task<ITransportConnection> ConnectTransportAsync(IIpcTransport transport, IpcEndpoint endpoint, IpcOptions options,
        bool waitForServer, CancellationToken cancellationToken)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var delay = TimeSpan.FromMilliseconds(10);
        while (true)
        {
            try
            {
                return await transport.ConnectAsync(endpoint, options, cancellationToken).ConfigureAwait(false);
            }
            catch (NoServerListeningException e) when (waitForServer)
            {
                var left = options.ConnectTimeout == Timeout.InfiniteTimeSpan
                    ? Timeout.InfiniteTimeSpan
                    : options.ConnectTimeout - System.Diagnostics.Stopwatch.GetElapsedTime(started);
                if (left != Timeout.InfiniteTimeSpan && left <= TimeSpan.Zero)
                    throw new NoServerListeningException(endpoint.ToString(), options.ConnectTimeout, e.InnerException);
                await Task.Delay(left == Timeout.InfiniteTimeSpan || delay < left ? delay : left, cancellationToken).ConfigureAwait(false);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromMilliseconds(200).Ticks));
            }
        }
    }

    private async Task ReconnectLoopAsync()
    {
        var options = _handlers.Options;
        while (!_disposing.IsCancellationRequested)
        {
            try
            {
                await Connection.Completion.WaitAsync(_disposing.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            var delay = options.Reconnect.MinDelay;
            while (!_disposing.IsCancellationRequested)
            {
                try
                {
                    // Jitter keeps many clients of a restarted server from reconnecting in lockstep.
                    await Task.Delay(delay * (0.8 + Random.Shared.NextDouble() * 0.4), _disposing.Token).ConfigureAwait(false);
                    // No wait for the server within an attempt: this loop's own backoff is the wait.
                    var fresh = await OpenAsync(Endpoint, _handlers, waitForServer: false, _disposing.Token).ConfigureAwait(false);
                    Volatile.Write(ref _connection, fresh);
                    Reconnects++;
                    if (options.Reconnect.OnReconnected is { } hook)
                    {
                        try { await hook(this).ConfigureAwait(false); }
                        catch (Exception e) { options.ReportEventHandlerException(e); }
                    }
                    Reconnected?.Invoke(this);
                    break;
                }
                catch (OperationCanceledException) when (_disposing.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception)
                {
                    delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, options.Reconnect.MaxDelay.Ticks));
                }
            }
        }
    }

    /// <summary>A proxy for [RequestContract] <typeparamref name="TContract"/> handled by the server; it survives reconnects.</summary>
    public TContract Proxy<TContract>() where TContract : class =>
        ContractRegistry.Get<TContract>(ContractKind.Request).CreateProxy(this);

    /// <summary>A publisher for [EventContract] <typeparamref name="TContract"/> events sent to the server; it survives reconnects.</summary>
    public TContract Publisher<TContract>() where TContract : class =>
        ContractRegistry.Get<TContract>(ContractKind.Event).CreateProxy(this);

    /// <summary>
    /// Receives the server's [EventContract] <typeparamref name="TContract"/> events until the token is disposed
    /// (also across reconnects). The listener is held strongly unless <paramref name="weak"/> is true.
    /// </summary>
    /// <exception cref="ContractMismatchException">The server does not know the contract, or has it with another shape.</exception>
    public IDisposable Subscribe<TContract>(TContract listener, bool weak = false) where TContract : class
    {
        var contract = ContractRegistry.Get<TContract>(ContractKind.Event);
        if (Connection is { IsEstablished: true } c && c.Peer.CheckEventContract(contract) is { } mismatch) throw mismatch;
        return SubscriptionApi.Subscribe(_handlers, listener, weak);
    }

    /// <summary>
    /// Like <see cref="Subscribe{TContract}(TContract, bool)"/>, but completes only when the server has the subscription, so
    /// every event the server publishes after that is delivered to <paramref name="listener"/>. It sends the subscription, then
    /// one Ping on the same connection: the server handles frames in order, so its Pong proves it recorded the subscription
    /// (over <c>nats://</c> the broker answers the Ping only once it has subscribed, so the same holds there).
    /// </summary>
    /// <remarks>
    /// While the client is disconnected it fails at once with <see cref="ChannelFaultedException"/> and keeps nothing
    /// registered: completing would promise a delivery the client cannot give until it has reconnected. Use
    /// <see cref="Subscribe{TContract}(TContract, bool)"/> for a subscription that waits for the reconnect (it is restored
    /// by the new handshake). On any failure (connection lost, the call deadline, cancellation)
    /// the subscription is removed before the task fails.
    /// </remarks>
    /// <returns>The token that ends the subscription when disposed.</returns>
    /// <exception cref="ContractMismatchException">The server does not know the contract, or has it with another shape.</exception>
    /// <exception cref="ChannelFaultedException">The client is disconnected, or the connection ended before the server answered.</exception>
    /// <exception cref="TimeoutException">The server did not answer within the call deadline (<see cref="IpcOptions.DefaultCallTimeout"/>, or an <see cref="IpcCall.WithTimeout"/> scope around this call).</exception>
    public Task<IDisposable> SubscribeAsync<TContract>(TContract listener, bool weak = false, CancellationToken cancellationToken = default)
        where TContract : class
    {
        var token = Subscribe(listener, weak);
        return Confirm(token, cancellationToken);
    }

    /// <summary>
    /// Like <see cref="SubscribeRaw"/>, but completes only when the server has the subscription (as
    /// <see cref="SubscribeAsync{TContract}(TContract, bool, CancellationToken)"/>, with the same failures).
    /// </summary>
    /// <exception cref="ContractMismatchException">The server does not know <paramref name="contractAlias"/>, or it is not an event contract.</exception>
    /// <exception cref="ChannelFaultedException">The client is disconnected, or the connection ended before the server answered.</exception>
    /// <exception cref="TimeoutException">The server did not answer within the call deadline (<see cref="IpcOptions.DefaultCallTimeout"/>, or an <see cref="IpcCall.WithTimeout"/> scope around this call).</exception>
    public Task<IDisposable> SubscribeRawAsync(string contractAlias, Action<RawEvent> handler, CancellationToken cancellationToken = default) =>
        Confirm(SubscribeRaw(contractAlias, handler), cancellationToken);

    // The connection is read after the subscription is registered: a connection made current later (a reconnect) was
    // started before it became current, so it sent the key in its Hello or a Subscribe frame, ahead of this Ping.
    private Task<IDisposable> Confirm(IDisposable token, CancellationToken cancellationToken) =>
        SubscriptionApi.ConfirmAsync(token, [Connection], ignoreEnded: false, cancellationToken);

    /// <summary>
    /// Untyped subscription for tools: receives every event of the server's event contract <paramref name="contractAlias"/>
    /// as JSON text, without an interface, until the token is disposed (also across reconnects). The alias is resolved
    /// through this process's contracts, then the server's handshake; the handler runs on the event loop, in order.
    /// </summary>
    /// <exception cref="ContractMismatchException">The server does not know <paramref name="contractAlias"/>, or it is not an event contract.</exception>
    public IDisposable SubscribeRaw(string contractAlias, Action<RawEvent> handler)
    {
        ArgumentException.ThrowIfNullOrEmpty(contractAlias);
        ArgumentNullException.ThrowIfNull(handler);
        var id = ResolveEventContract(contractAlias);
        return _handlers.AddSubscriber(new SubscriptionKey(false, id), new Untyped.RawEventSubscriber(contractAlias, id, handler));
    }

    private uint ResolveEventContract(string alias)
    {
        var peer = Connection.PeerContracts.FirstOrDefault(c => c.Alias == alias);
        var local = ContractRegistry.All.FirstOrDefault(c => c.Alias == alias);
        var (id, kind) = peer is not null ? (peer.Id, peer.Kind) : local is not null ? (local.Id, local.Kind)
            : throw new ContractMismatchException(alias, null, $"The server '{Connection.PeerName}' does not know contract '{alias}', so it can never publish it.");
        return kind == ContractKind.Event ? id
            : throw new ContractMismatchException(alias, null, $"Contract '{alias}' is a request contract, not an event contract: call its methods instead.");
    }

    Task<TResult> IOutboundChannel.RequestAsync<TArgs, TResult>(MethodDescriptor method, TArgs args, ArgsWriter<TArgs> writeArgs,
        JsonTypeInfo<TResult> resultType, CancellationToken cancellationToken) =>
        ((IOutboundChannel)Connection).RequestAsync(method, args, writeArgs, resultType, cancellationToken);

    Task IOutboundChannel.RequestAsync<TArgs>(MethodDescriptor method, TArgs args, ArgsWriter<TArgs> writeArgs, CancellationToken cancellationToken) =>
        ((IOutboundChannel)Connection).RequestAsync(method, args, writeArgs, cancellationToken);

    ValueTask<TResult> IOutboundChannel.RequestValueAsync<TArgs, TResult>(MethodDescriptor method, TArgs args, ArgsWriter<TArgs> writeArgs,
        JsonTypeInfo<TResult> resultType, CancellationToken cancellationToken) =>
        ((IOutboundChannel)Connection).RequestValueAsync(method, args, writeArgs, resultType, cancellationToken);

    ValueTask IOutboundChannel.RequestValueAsync<TArgs>(MethodDescriptor method, TArgs args, ArgsWriter<TArgs> writeArgs, CancellationToken cancellationToken) =>
        ((IOutboundChannel)Connection).RequestValueAsync(method, args, writeArgs, cancellationToken);

    void IOutboundChannel.Publish<TArgs>(MethodDescriptor method, TArgs args, ArgsWriter<TArgs> writeArgs) =>
        ((IOutboundChannel)Connection).Publish(method, args, writeArgs);

    Task<TResult> IOutboundChannel.RequestAsync<TArgs, TResult, TProgress>(MethodDescriptor method, TArgs args, ArgsWriter<TArgs> writeArgs,
        JsonTypeInfo<TResult> resultType, IProgress<TProgress>? progress, JsonTypeInfo<TProgress> progressType, CancellationToken cancellationToken) =>
        ((IOutboundChannel)Connection).RequestAsync(method, args, writeArgs, resultType, progress, progressType, cancellationToken);

    Task IOutboundChannel.RequestAsync<TArgs, TProgress>(MethodDescriptor method, TArgs args, ArgsWriter<TArgs> writeArgs,
        IProgress<TProgress>? progress, JsonTypeInfo<TProgress> progressType, CancellationToken cancellationToken) =>
        ((IOutboundChannel)Connection).RequestAsync(method, args, writeArgs, progress, progressType, cancellationToken);

    /// <summary>
    /// A stream result over whichever connection is current when enumeration starts: a stream does not survive a
    /// reconnect (its consumer gets ChannelFaultedException), but the next enumeration uses the new connection.
    /// </summary>
    IAsyncEnumerable<TItem> IOutboundChannel.Stream<TArgs, TItem>(MethodDescriptor method, TArgs args, ArgsWriter<TArgs> writeArgs,
        JsonTypeInfo<TItem> itemType, CancellationToken cancellationToken) =>
        new ClientStream<TArgs, TItem>(this, method, args, writeArgs, itemType, cancellationToken);

    Task<TResult> IOutboundChannel.RequestStreamingAsync<TArgs, TResult, TArgItem>(MethodDescriptor method, TArgs args, ArgsWriter<TArgs> writeArgs,
        JsonTypeInfo<TResult> resultType, IAsyncEnumerable<TArgItem> argumentItems, JsonTypeInfo<TArgItem> argumentItemType, CancellationToken cancellationToken) =>
        ((IOutboundChannel)Connection).RequestStreamingAsync(method, args, writeArgs, resultType, argumentItems, argumentItemType, cancellationToken);

    Task IOutboundChannel.RequestStreamingAsync<TArgs, TArgItem>(MethodDescriptor method, TArgs args, ArgsWriter<TArgs> writeArgs,
        IAsyncEnumerable<TArgItem> argumentItems, JsonTypeInfo<TArgItem> argumentItemType, CancellationToken cancellationToken) =>
        ((IOutboundChannel)Connection).RequestStreamingAsync(method, args, writeArgs, argumentItems, argumentItemType, cancellationToken);

    Task<TResult> IOutboundChannel.RequestStreamingAsync<TArgs, TResult, TArgItem, TProgress>(MethodDescriptor method, TArgs args,
        ArgsWriter<TArgs> writeArgs, JsonTypeInfo<TResult> resultType, IAsyncEnumerable<TArgItem> argumentItems, JsonTypeInfo<TArgItem> argumentItemType,
        IProgress<TProgress>? progress, JsonTypeInfo<TProgress> progressType, CancellationToken cancellationToken) =>
        ((IOutboundChannel)Connection).RequestStreamingAsync(method, args, writeArgs, resultType, argumentItems, argumentItemType, progress, progressType,
            cancellationToken);

    Task IOutboundChannel.RequestStreamingAsync<TArgs, TArgItem, TProgress>(MethodDescriptor method, TArgs args, ArgsWriter<TArgs> writeArgs,
        IAsyncEnumerable<TArgItem> argumentItems, JsonTypeInfo<TArgItem> argumentItemType,
        IProgress<TProgress>? progress, JsonTypeInfo<TProgress> progressType, CancellationToken cancellationToken) =>
        ((IOutboundChannel)Connection).RequestStreamingAsync(method, args, writeArgs, argumentItems, argumentItemType, progress, progressType, cancellationToken);

    IAsyncEnumerable<TItem> IOutboundChannel.Stream<TArgs, TItem, TArgItem>(MethodDescriptor method, TArgs args, ArgsWriter<TArgs> writeArgs,
        JsonTypeInfo<TItem> itemType, IAsyncEnumerable<TArgItem> argumentItems, JsonTypeInfo<TArgItem> argumentItemType, CancellationToken cancellationToken) =>
        new ClientBothWays<TArgs, TItem, TArgItem>(this, method, args, writeArgs, itemType, argumentItems, argumentItemType, cancellationToken);

    // Like ClientStream: the connection that is current when enumeration starts.
    private sealed class ClientBothWays<TArgs, TItem, TArgItem>(IpcClient client, MethodDescriptor method, TArgs args, ArgsWriter<TArgs> writeArgs,
        JsonTypeInfo<TItem> itemType, IAsyncEnumerable<TArgItem> argumentItems, JsonTypeInfo<TArgItem> argumentItemType, CancellationToken methodToken)
        : IAsyncEnumerable<TItem>
    {
        public IAsyncEnumerator<TItem> GetAsyncEnumerator(CancellationToken cancellationToken = default) =>
            ((IOutboundChannel)client.Connection).Stream(method, args, writeArgs, itemType, argumentItems, argumentItemType, methodToken).GetAsyncEnumerator(cancellationToken);
    }

    private sealed class ClientStream<TArgs, TItem>(IpcClient client, MethodDescriptor method, TArgs args, ArgsWriter<TArgs> writeArgs,
        JsonTypeInfo<TItem> itemType, CancellationToken methodToken) : IAsyncEnumerable<TItem>
    {
        public IAsyncEnumerator<TItem> GetAsyncEnumerator(CancellationToken cancellationToken = default) =>
            client.Connection.StartStream(method, args, writeArgs, itemType, methodToken, cancellationToken);
    }

    /// <summary>Stops reconnecting and closes the connection (the server sees a Goodbye).</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _disposing.Cancel();
        try { await _reconnectLoop.ConfigureAwait(false); } catch { }
        await Connection.DisposeAsync().ConfigureAwait(false);
        _disposing.Dispose();
    }
}
