using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json.Serialization.Metadata;
using IpcContracts.Connections;
using IpcContracts.Protocol;
using IpcContracts.Runtime;
using IpcContracts.Transports;

namespace IpcContracts;

/// <summary>
/// Listens on an endpoint and serves many clients: handles request contracts, publishes events to
/// every subscribed client, and can call back into each client through its connection.
/// </summary>
/// <remarks>
/// As an <see cref="IOutboundChannel"/> (what generated proxies call) the server publishes events to every subscribed
/// client; it has no single peer to send requests to.
/// </remarks>
public sealed class IpcServer : IOutboundChannel, IAsyncDisposable
{
    private readonly LocalHandlers _handlers;
    private readonly IIpcListener _listener;
    private readonly ConcurrentDictionary<IpcConnection, byte> _connections = new();
    private readonly Lock _snapshotLock = new();
    private IpcConnection[] _connectionSnapshot = []; // copy-on-write view of _connections for the publish path
    private readonly CancellationTokenSource _stopping = new();
    private Task _acceptLoop = Task.CompletedTask;
    private int _disposed;

    private IpcServer(IIpcListener listener, LocalHandlers handlers)
    {
        _listener = listener;
        _handlers = handlers;
    }

    /// <summary>The endpoint actually bound.</summary>
    public IpcEndpoint Endpoint => _listener.Endpoint;

    /// <summary>Connections that completed the handshake and are still open.</summary>
    public IReadOnlyCollection<IpcConnection> Connections => [.. _connections.Keys.Where(c => c.IsEstablished && c.IsConnected)];

    /// <summary>Raised after a client completes the handshake.</summary>
    public event Action<IpcConnection>? ClientConnected;

    /// <summary>
    /// Raised once when the connection of a client that raised <see cref="ClientConnected"/> ends, with the exception its
    /// pending calls failed with. Its <see cref="ChannelFaultedException.Reason"/> tells a client that said goodbye
    /// (<see cref="DisconnectReason.ClosedByPeer"/>: it disposed its client) from one that vanished
    /// (<see cref="DisconnectReason.PeerLost"/>: killed, crashed, exited without disposing), a protocol violation, a
    /// stalled peer, and this server closing it (<see cref="DisconnectReason.ClosedLocally"/>).
    /// </summary>
    public event Action<IpcConnection, ChannelFaultedException>? ClientDisconnected;

    /// <summary>Starts listening on <paramref name="endpoint"/> (e.g. <c>pipe://inventory</c>) with the handlers <paramref name="configure"/> registers.</summary>
    public static Task<IpcServer> StartAsync(string endpoint, Action<IpcEndpointBuilder>? configure = null, IpcOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        var handlers = new LocalHandlers((options ?? new IpcOptions()).Validate());
        var builder = new IpcEndpointBuilder(handlers);
        configure?.Invoke(builder);
        return StartAsync(IpcEndpoint.Parse(endpoint), handlers, cancellationToken, builder);
    }

    /// <summary>Starts a server; publishers of <paramref name="builder"/> (<see cref="IpcEndpointBuilder.Publisher{TContract}"/>), when given, publish through it.</summary>
    internal static async Task<IpcServer> StartAsync(IpcEndpoint endpoint, LocalHandlers handlers, CancellationToken cancellationToken,
        IpcEndpointBuilder? builder = null)
    {
        var transport = TransportRegistry.Resolve(endpoint);
        var listener = await transport.ListenAsync(endpoint, handlers.Options, cancellationToken).ConfigureAwait(false);
        var server = new IpcServer(listener, handlers);
        // Before the first accept, so a handler of the very first call can publish through the builder's publishers.
        if (builder is not null) builder.Owner = server;
        server._acceptLoop = Task.Run(server.AcceptLoopAsync);
        try
        {
            // A broker transport serves only once its first connection has subscribed (IIpcListener.WhenServingAsync).
            await listener.WhenServingAsync(cancellationToken).AsTask().WaitAsync(handlers.Options.HandshakeTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            await server.DisposeAsync().ConfigureAwait(false);
            if (e is TimeoutException)
                throw new IpcException($"The server on {endpoint} was not serving within {handlers.Options.HandshakeTimeout.TotalSeconds:0.#} s (IpcOptions.HandshakeTimeout).", e);
            throw;
        }
        return server;
    }

    /// <summary>
    /// A publisher: each event is serialized once and sent to every client subscribed to <typeparamref name="TContract"/>
    /// (none subscribed: nothing is sent). A handler that publishes gets the same from
    /// <see cref="IpcEndpointBuilder.Publisher{TContract}"/> while the server is configured.
    /// </summary>
    /// <remarks>Publishing after the server is disposed throws <see cref="ObjectDisposedException"/>.</remarks>
    public TContract Publisher<TContract>() where TContract : class =>
        ContractRegistry.Get<TContract>(ContractKind.Event).CreateProxy(this);

    /// <summary>Receives [EventContract] events that clients publish to the server.</summary>
    public IDisposable Subscribe<TContract>(TContract listener, bool weak = false) where TContract : class =>
        SubscriptionApi.Subscribe(_handlers, listener, weak);

    /// <summary>
    /// Like <see cref="Subscribe{TContract}(TContract, bool)"/>, but completes only when every client connected now has the
    /// subscription, so every event such a client publishes after that is delivered to <paramref name="listener"/>. It sends the
    /// subscription, then one Ping to each client the server has sent its Hello to (so every client whose
    /// <see cref="IpcClient.ConnectAsync(string, Action{IpcEndpointBuilder}?, IpcOptions?, CancellationToken)"/> has
    /// completed): a client handles frames in order, so its Pong proves it recorded the subscription. A client that connects
    /// later gets it in the server's Hello; one whose connection ends meanwhile is skipped (it is no longer a peer).
    /// </summary>
    /// <remarks>On a timeout (<see cref="IpcOptions.DefaultCallTimeout"/>, or an <see cref="IpcCall.WithTimeout"/> scope) or cancellation the subscription is removed before the task fails.</remarks>
    /// <returns>The token that ends the subscription when disposed.</returns>
    /// <exception cref="TimeoutException">A connected client did not answer within the call deadline (<see cref="IpcOptions.DefaultCallTimeout"/>, or an <see cref="IpcCall.WithTimeout"/> scope around this call).</exception>
    public Task<IDisposable> SubscribeAsync<TContract>(TContract listener, bool weak = false, CancellationToken cancellationToken = default)
        where TContract : class =>
        ConfirmAsync(Subscribe(listener, weak), cancellationToken);

    // Connections are read after registering. One whose Hello is queued (possibly still handshaking: its client may already
    // be connected) gets a Ping, after the key; one whose Hello is not queued yet will carry the key in it. A Ping must not
    // precede the Hello, hence no Ping to those.
    private Task<IDisposable> ConfirmAsync(IDisposable token, CancellationToken cancellationToken) =>
        SubscriptionApi.ConfirmAsync(token, [.. _connections.Keys.Where(c => c.HelloQueued && c.IsConnected)], ignoreEnded: true, cancellationToken);

    /// <summary>Requests from clients that are running on this server now (their handlers have not replied yet).</summary>
    public int InFlightRequests
    {
        get
        {
            var count = 0;
            foreach (var c in Volatile.Read(ref _connectionSnapshot)) count += c.InFlightRequests;
            return count;
        }
    }

    /// <summary>
    /// Prepares a graceful stop: once this method returns, every request that arrives is refused at once (the caller gets
    /// <see cref="IpcOverloadedException"/>, "shutting down"; the request is not run), and the requests already
    /// running may finish. Completes when none is left, or when <paramref name="timeout"/> has passed, whichever
    /// is first; connections stay open meanwhile (replies and events still flow). Then dispose the server, which
    /// cancels whatever still runs. A drained server keeps refusing requests until it is disposed.
    /// </summary>
    /// <returns>How many requests were still running when the drain ended: 0 when all finished in time.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="timeout"/> is negative (there is no unbounded drain).</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled first.</exception>
    public Task<int> DrainAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(timeout, TimeSpan.Zero);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        _handlers.Draining = true; // before returning, so a caller may log "draining" knowing new requests are refused
        return WaitForInFlightAsync(timeout, cancellationToken);
    }

    private async Task<int> WaitForInFlightAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        // A connection tells nobody when a request ends, so the count is polled; a request finishing is seen within
        // one poll interval, and the timeout is kept to within one too.
        while (InFlightRequests is var left and > 0)
        {
            var remaining = timeout - Stopwatch.GetElapsedTime(started);
            if (remaining <= TimeSpan.Zero) return left;
            await Task.Delay(remaining < DrainPollInterval ? remaining : DrainPollInterval, cancellationToken).ConfigureAwait(false);
        }
        return 0;
    }

    private static readonly TimeSpan DrainPollInterval = TimeSpan.FromMilliseconds(10);

    private async Task AcceptLoopAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            ITransportConnection transport;
            try
            {
                transport = await _listener.AcceptAsync(_stopping.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (Exception e)
            {
                // A failed accept (e.g. out of descriptors) must not stop the server; back off briefly.
                _handlers.Options.ReportSecurityEvent($"accept on {Endpoint} failed: {e.Message}");
                try { await Task.Delay(50, _stopping.Token).ConfigureAwait(false); } catch (OperationCanceledException) { return; }
                continue;
            }
            _ = Task.Run(() => OpenAsync(transport));
        }
    }

    private async Task OpenAsync(ITransportConnection transport)
    {
        if (_connections.Count >= _handlers.Options.MaxConnections)
        {
            await RefuseAsync(transport, $"The server on {Endpoint} already has {_handlers.Options.MaxConnections} connections (IpcOptions.MaxConnections).")
                .ConfigureAwait(false);
            return;
        }
        IpcConnection? created = null;
        IpcConnection connection;
        try
        {
            connection = await IpcConnection.StartAsync(transport, _handlers, _stopping.Token, c =>
            {
                created = c;
                _connections[c] = 0;
                RefreshSnapshot();
            }).ConfigureAwait(false);
        }
        catch (Exception)
        {
            if (created is not null && _connections.TryRemove(created, out _)) RefreshSnapshot();
            await transport.DisposeAsync().ConfigureAwait(false);
            return; // a client that fails the handshake affects nobody else
        }
        ChannelFaultedException reason;
        try
        {
            if (_stopping.IsCancellationRequested) return;
            // Each handler on its own: one that throws is reported and neither skips the others nor ends this
            // connection; whatever happens, the finally below frees the slot (MaxConnections).
            if (ClientConnected is { } connected)
            {
                foreach (var handler in Delegate.EnumerateInvocationList(connected))
                {
                    try { handler(connection); }
                    catch (Exception e) { _handlers.Options.ReportEventHandlerException(e); }
                }
            }
            reason = await connection.Completion.ConfigureAwait(false);
        }
        finally
        {
            if (_connections.TryRemove(connection, out _)) RefreshSnapshot();
            await connection.DisposeAsync().ConfigureAwait(false);
        }
        if (ClientDisconnected is { } disconnected)
        {
            foreach (var handler in Delegate.EnumerateInvocationList(disconnected))
            {
                try { handler(connection, reason); }
                catch (Exception e) { _handlers.Options.ReportEventHandlerException(e); }
            }
        }
    }

    // Serialized, so the last refresh always reads the latest set (two racing refreshes cannot write an older one last).
    private void RefreshSnapshot()
    {
        lock (_snapshotLock) Volatile.Write(ref _connectionSnapshot, [.. _connections.Keys]);
    }

    /// <summary>Tells a client why it is turned away (an Error frame before any Hello) and hangs up.</summary>
    private static async Task RefuseAsync(ITransportConnection transport, string reason)
    {
        try
        {
            var frame = ErrorFrames.Build(new FrameHeaderTemplate(FrameKind.Error, FrameFlags.None, 0, 0, 0),
                new ErrorPayload { Code = ErrorCodes.Protocol, Type = typeof(IpcException).FullName!, Message = reason });
            try
            {
                await transport.Output.WriteAsync(frame.Memory).ConfigureAwait(false);
            }
            finally
            {
                frame.Release();
            }
        }
        catch (Exception) { /* the client is gone already */ }
        await transport.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>Stops accepting, says goodbye to every client and releases the endpoint.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _stopping.Cancel();
        await _listener.DisposeAsync().ConfigureAwait(false);
        try { await _acceptLoop.ConfigureAwait(false); } catch (OperationCanceledException) { }
        await Task.WhenAll(_connections.Keys.Select(c => c.DisposeAsync().AsTask())).ConfigureAwait(false);
        _stopping.Dispose();
    }

    Task<TResult> IOutboundChannel.RequestAsync<TArgs, TResult>(MethodDescriptor method, TArgs args, ArgsWriter<TArgs> writeArgs,
        JsonTypeInfo<TResult> resultType, CancellationToken cancellationToken) =>
        throw new NotSupportedException("A server publisher only sends events; call a client through its IpcConnection.Proxy<T>().");

    Task IOutboundChannel.RequestAsync<TArgs>(MethodDescriptor method, TArgs args, ArgsWriter<TArgs> writeArgs, CancellationToken cancellationToken) =>
        throw new NotSupportedException("A server publisher only sends events; call a client through its IpcConnection.Proxy<T>().");

    // ConcurrentDictionary.Keys copies under all locks; publishing reads the snapshot kept up to date instead.
    // A disposed server has no clients left; saying so beats dropping the event as if nobody had subscribed.
    void IOutboundChannel.Publish<TArgs>(MethodDescriptor method, TArgs args, ArgsWriter<TArgs> writeArgs)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        EventFanOut.Publish(Volatile.Read(ref _connectionSnapshot), method, args, writeArgs, _handlers.Options.MaxPayloadLength);
    }

    /// <summary>Publishes an aggregator message to every client subscribed to it (the listening aggregator's fan-out).</summary>
    internal void PublishMessage<T>(MessageType<T> type, T message) =>
        EventFanOut.Publish(Volatile.Read(ref _connectionSnapshot), type, message, _handlers.Options.MaxPayloadLength);
}
