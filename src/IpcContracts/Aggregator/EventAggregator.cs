using IpcContracts.Connections;
using IpcContracts.Runtime;

namespace IpcContracts;

/// <summary>The <see cref="IEventAggregator"/> implementation over a client or server endpoint (or none: local only).</summary>
public sealed class EventAggregator : IEventAggregator
{
    private readonly IpcContractsOptions _options;
    private readonly LocalHandlers _handlers;
    private readonly SemaphoreSlim _startLock = new(1, 1);
    private IpcClient? _client;
    private IpcServer? _server;
    private Task? _backgroundStart;
    private int _disposed;

    /// <summary>Creates an aggregator; it connects or listens on first use (or <see cref="StartAsync"/>).</summary>
    public EventAggregator(IpcContractsOptions options)
    {
        _options = options;
        _handlers = new LocalHandlers(options.Ipc.Validate());
    }

    /// <inheritdoc />
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        if (_options.ConnectTo is null && _options.ListenOn is null) return;
        if (_server is not null || _client is not null) return;
        await _startLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_options.ListenOn is { } listen && _server is null)
                _server = await IpcServer.StartAsync(listen, _handlers, cancellationToken).ConfigureAwait(false);
            // Once connected, the client reconnects by itself after a drop (IpcOptions.Reconnect.Enabled); until the
            // first connect succeeds, every use tries again.
            if (_options.ConnectTo is { } connect && _client is null)
                _client = await IpcClient.ConnectAsync(connect, _handlers, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _startLock.Release();
        }
    }

    private void StartInBackground()
    {
        if (_options.ConnectTo is null && _options.ListenOn is null) return;
        _backgroundStart ??= Task.Run(async () =>
        {
            try { await StartAsync().ConfigureAwait(false); }
            catch (Exception e)
            {
                if (_handlers.Options.Logger is { } logger) Diagnostics.Log.AggregatorStartFailed(logger, e);
                else Console.Error.WriteLine($"IpcContracts: the aggregator could not start: {e.Message}");
            }
        });
    }

    /// <inheritdoc />
    public async Task PublishAsync<T>(T message, CancellationToken cancellationToken = default)
    {
        var type = MessageTypeRegistry.Get<T>();
        var key = new SubscriptionKey(true, type.Id);
        // Connect and check the connection before delivering anywhere: a publish that throws has reached nobody,
        // local subscribers included, so the caller can retry it without duplicating anything (docs/semantics.md).
        await StartAsync(cancellationToken).ConfigureAwait(false);
        IpcConnection? clientConnection = null;
        if (_server is null && _client is { } client)
        {
            clientConnection = client.Connection;
            if (!clientConnection.IsConnected)
            {
                var reason = clientConnection.Completion.IsCompletedSuccessfully ? clientConnection.Completion.Result : null;
                throw new ChannelFaultedException(
                    $"Cannot publish {type.Name}: the connection to {client.Endpoint} is down{(reason is null ? "" : $" ({reason.Message})")}; " +
                    "the message was delivered to nobody. The client reconnects by itself (IpcOptions.Reconnect.Enabled); publish again after that.", reason);
            }
        }
        foreach (var s in _handlers.GetSubscribers(key))
        {
            if (s is MessageSubscriber<T> local) await local.InvokeLocalAsync(message).ConfigureAwait(false);
        }
        if (_server is { } server) server.PublishMessage(type, message);
        else if (clientConnection is not null) EventFanOut.Publish([clientConnection], type, message, _handlers.Options.MaxPayloadLength);
    }

    /// <inheritdoc />
    public async Task<TResponse> RequestAsync<TRequest, TResponse>(TRequest request, CancellationToken cancellationToken = default)
    {
        var requestType = MessageTypeRegistry.Get<TRequest>();
        var responseType = MessageTypeRegistry.Get<TResponse>();
        if (_handlers.FindBusRequestHandler(requestType.Id) is { } handler)
        {
            if (handler is BusRequestHandler<TRequest, TResponse> local)
                return await local.InvokeLocalAsync(request, cancellationToken).ConfigureAwait(false);
            throw new ContractMismatchException("$bus", requestType.Name,
                $"The local handler for '{requestType.Name}' answers with another type than '{responseType.Name}'.");
        }
        await StartAsync(cancellationToken).ConfigureAwait(false);
        var fingerprint = BusFingerprint.Of(requestType.Name, responseType.Name);
        var peer = _client?.Connection ?? _server?.Connections.FirstOrDefault(c => c.PeerHandlesBus(requestType.Id, fingerprint));
        if (peer is null)
            throw new ContractMismatchException("$bus", requestType.Name, $"No local handler and no connected peer answers '{requestType.Name}'.");
        return await peer.RequestBusAsync(requestType, responseType, request, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public IDisposable Subscribe<T>(Action<T> handler, bool weak = false) => AddSubscriber<T>(handler, weak);

    /// <inheritdoc />
    public IDisposable Subscribe<T>(Func<T, Task> handler, bool weak = false) => AddSubscriber<T>(handler, weak);

    private IDisposable AddSubscriber<T>(Delegate handler, bool weak)
    {
        ArgumentNullException.ThrowIfNull(handler);
        var type = MessageTypeRegistry.Get<T>();
        var token = _handlers.AddSubscriber(new SubscriptionKey(true, type.Id), new MessageSubscriber<T>(type, handler, weak));
        StartInBackground();
        return token;
    }

    /// <inheritdoc />
    public IDisposable SubscribeRequest<TRequest, TResponse>(Func<TRequest, CancellationToken, Task<TResponse>> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        var entry = _handlers.AddBusRequestHandler(
            new BusRequestHandler<TRequest, TResponse>(MessageTypeRegistry.Get<TRequest>(), MessageTypeRegistry.Get<TResponse>(), handler));
        StartInBackground();
        return new RequestToken(_handlers, entry);
    }

    /// <inheritdoc />
    public void Unsubscribe(IDisposable subscription) => subscription.Dispose();

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        if (_backgroundStart is { } start) { try { await start.ConfigureAwait(false); } catch { } }
        if (_client is { } client) await client.DisposeAsync().ConfigureAwait(false);
        if (_server is { } server) await server.DisposeAsync().ConfigureAwait(false);
        _startLock.Dispose();
    }

    private sealed class RequestToken(LocalHandlers handlers, BusRequestHandler entry) : IDisposable
    {
        public void Dispose() => handlers.RemoveBusRequestHandler(entry);
    }
}
