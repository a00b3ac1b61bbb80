using System.Collections.Concurrent;
using System.Text.Json.Serialization.Metadata;
using IpcContracts.Runtime;
using IpcContracts.Transports;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace IpcContracts.Hosting;

/// <summary>
/// One hosted client connection: an <see cref="IpcClient"/> made on first use, which then reconnects by itself after
/// the connection is lost (<see cref="ReconnectOptions.Enabled"/>, backoff with jitter; while it is disconnected,
/// calls fail at once with <see cref="ChannelFaultedException"/>). Handlers, subscriptions and proxies made here
/// survive reconnects.
/// </summary>
public sealed class IpcHostedClient : IAsyncDisposable
{
    private readonly IpcEndpointBuilder _handlers;
    private readonly ILogger? _logger;
    private readonly SemaphoreSlim _connectLock = new(1, 1);
    private readonly ForwardingChannel _channel;
    private IpcClient? _client;
    private bool _disposed;

    internal IpcHostedClient(string name, IpcEndpoint endpoint, IpcEndpointBuilder handlers, ILogger? logger)
    {
        Name = name;
        Endpoint = endpoint;
        _handlers = handlers;
        _logger = logger;
        _channel = new ForwardingChannel(this);
    }

    /// <summary>The client's name.</summary>
    public string Name { get; }

    /// <summary>The server it connects to.</summary>
    public IpcEndpoint Endpoint { get; }

    /// <summary>
    /// The client's current connection, connecting first if it has not connected yet (a failed first connect throws,
    /// and the next use tries again). After a loss this is the connection the client's own reconnect last opened.
    /// </summary>
    public async ValueTask<IpcConnection> GetConnectionAsync(CancellationToken cancellationToken = default) =>
        (await GetClientAsync(cancellationToken).ConfigureAwait(false)).Connection;

    private async ValueTask<IpcClient> GetClientAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _client) is { } connected) return connected;
        await _connectLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_client is { } raced) return raced;
            var client = await IpcClient.ConnectAsync(Endpoint, _handlers, cancellationToken).ConfigureAwait(false);
            client.Reconnected += OnReconnected;
            Volatile.Write(ref _client, client);
            if (_logger is not null) HostingLog.ClientConnected(_logger, Name, Endpoint.ToString());
            return client;
        }
        finally
        {
            _connectLock.Release();
        }
    }

    private void OnReconnected(IpcClient client)
    {
        if (_logger is not null) HostingLog.ClientConnected(_logger, Name, client.Endpoint.ToString());
    }

    /// <summary>A proxy for [RequestContract] <typeparamref name="TContract"/> that connects on its first call and reconnects after a loss.</summary>
    public TContract Proxy<TContract>() where TContract : class =>
        ContractRegistry.Get<TContract>(ContractKind.Request).CreateProxy(_channel);

    /// <summary>A publisher for [EventContract] <typeparamref name="TContract"/> events sent to the server (dropped while not connected).</summary>
    public TContract Publisher<TContract>() where TContract : class =>
        ContractRegistry.Get<TContract>(ContractKind.Event).CreateProxy(_channel);

    /// <summary>Receives the server's <typeparamref name="TEvents"/> events until the token is disposed, across reconnects.</summary>
    public IDisposable Subscribe<TEvents>(TEvents listener, bool weak = false) where TEvents : class =>
        _handlers.Subscribe(listener, weak);

    /// <summary>Stops reconnecting and closes the connection.</summary>
    public async ValueTask DisposeAsync()
    {
        await _connectLock.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_disposed) return;
            _disposed = true;
            if (_client is { } client) await client.DisposeAsync().ConfigureAwait(false);
        }
        finally
        {
            _connectLock.Release();
        }
    }

    /// <summary>What the proxies and publishers call: the client once it exists (it reconnects by itself), connecting it first if not.</summary>
    private sealed class ForwardingChannel(IpcHostedClient owner) : IOutboundChannel
    {
        public Task<TResult> RequestAsync<TArgs, TResult>(MethodDescriptor method, TArgs args, ArgsWriter<TArgs> writeArgs,
            JsonTypeInfo<TResult> resultType, CancellationToken cancellationToken)
        {
            if (Volatile.Read(ref owner._client) is IOutboundChannel client) return client.RequestAsync(method, args, writeArgs, resultType, cancellationToken);
            return Slow();

            async Task<TResult> Slow()
            {
                IOutboundChannel client = await owner.GetClientAsync(cancellationToken).ConfigureAwait(false);
                return await client.RequestAsync(method, args, writeArgs, resultType, cancellationToken).ConfigureAwait(false);
            }
        }

        public Task RequestAsync<TArgs>(MethodDescriptor method, TArgs args, ArgsWriter<TArgs> writeArgs, CancellationToken cancellationToken)
        {
            if (Volatile.Read(ref owner._client) is IOutboundChannel client) return client.RequestAsync(method, args, writeArgs, cancellationToken);
            return Slow();

            async Task Slow()
            {
                IOutboundChannel client = await owner.GetClientAsync(cancellationToken).ConfigureAwait(false);
                await client.RequestAsync(method, args, writeArgs, cancellationToken).ConfigureAwait(false);
            }
        }

        // Once connected, the client's pooled ValueTask calls; before, the Task path above (which connects first).
        public ValueTask<TResult> RequestValueAsync<TArgs, TResult>(MethodDescriptor method, TArgs args, ArgsWriter<TArgs> writeArgs,
            JsonTypeInfo<TResult> resultType, CancellationToken cancellationToken) =>
            Volatile.Read(ref owner._client) is IOutboundChannel client
                ? client.RequestValueAsync(method, args, writeArgs, resultType, cancellationToken)
                : new(RequestAsync(method, args, writeArgs, resultType, cancellationToken));

        public ValueTask RequestValueAsync<TArgs>(MethodDescriptor method, TArgs args, ArgsWriter<TArgs> writeArgs, CancellationToken cancellationToken) =>
            Volatile.Read(ref owner._client) is IOutboundChannel client
                ? client.RequestValueAsync(method, args, writeArgs, cancellationToken)
                : new(RequestAsync(method, args, writeArgs, cancellationToken));

        public Task<TResult> RequestAsync<TArgs, TResult, TProgress>(MethodDescriptor method, TArgs args, ArgsWriter<TArgs> writeArgs,
            JsonTypeInfo<TResult> resultType, IProgress<TProgress>? progress, JsonTypeInfo<TProgress> progressType, CancellationToken cancellationToken)
        {
            if (Volatile.Read(ref owner._client) is IOutboundChannel client) return client.RequestAsync(method, args, writeArgs, resultType, progress, progressType, cancellationToken);
            return Slow();

            async Task<TResult> Slow()
            {
                IOutboundChannel client = await owner.GetClientAsync(cancellationToken).ConfigureAwait(false);
                return await client.RequestAsync(method, args, writeArgs, resultType, progress, progressType, cancellationToken).ConfigureAwait(false);
            }
        }

        public Task RequestAsync<TArgs, TProgress>(MethodDescriptor method, TArgs args, ArgsWriter<TArgs> writeArgs,
            IProgress<TProgress>? progress, JsonTypeInfo<TProgress> progressType, CancellationToken cancellationToken)
        {
            if (Volatile.Read(ref owner._client) is IOutboundChannel client) return client.RequestAsync(method, args, writeArgs, progress, progressType, cancellationToken);
            return Slow();

            async Task Slow()
            {
                IOutboundChannel client = await owner.GetClientAsync(cancellationToken).ConfigureAwait(false);
                await client.RequestAsync(method, args, writeArgs, progress, progressType, cancellationToken).ConfigureAwait(false);
            }
        }

        public async Task<TResult> RequestStreamingAsync<TArgs, TResult, TArgItem>(MethodDescriptor method, TArgs args, ArgsWriter<TArgs> writeArgs,
            JsonTypeInfo<TResult> resultType, IAsyncEnumerable<TArgItem> argumentItems, JsonTypeInfo<TArgItem> argumentItemType, CancellationToken cancellationToken)
        {
            IOutboundChannel client = Volatile.Read(ref owner._client) ?? (IOutboundChannel)await owner.GetClientAsync(cancellationToken).ConfigureAwait(false);
            return await client.RequestStreamingAsync(method, args, writeArgs, resultType, argumentItems, argumentItemType, cancellationToken).ConfigureAwait(false);
        }

        public async Task RequestStreamingAsync<TArgs, TArgItem>(MethodDescriptor method, TArgs args, ArgsWriter<TArgs> writeArgs,
            IAsyncEnumerable<TArgItem> argumentItems, JsonTypeInfo<TArgItem> argumentItemType, CancellationToken cancellationToken)
        {
            IOutboundChannel client = Volatile.Read(ref owner._client) ?? (IOutboundChannel)await owner.GetClientAsync(cancellationToken).ConfigureAwait(false);
            await client.RequestStreamingAsync(method, args, writeArgs, argumentItems, argumentItemType, cancellationToken).ConfigureAwait(false);
        }

        public async Task<TResult> RequestStreamingAsync<TArgs, TResult, TArgItem, TProgress>(MethodDescriptor method, TArgs args,
            ArgsWriter<TArgs> writeArgs, JsonTypeInfo<TResult> resultType, IAsyncEnumerable<TArgItem> argumentItems, JsonTypeInfo<TArgItem> argumentItemType,
            IProgress<TProgress>? progress, JsonTypeInfo<TProgress> progressType, CancellationToken cancellationToken)
        {
            IOutboundChannel client = Volatile.Read(ref owner._client) ?? (IOutboundChannel)await owner.GetClientAsync(cancellationToken).ConfigureAwait(false);
            return await client.RequestStreamingAsync(method, args, writeArgs, resultType, argumentItems, argumentItemType, progress, progressType,
                cancellationToken).ConfigureAwait(false);
        }

        public async Task RequestStreamingAsync<TArgs, TArgItem, TProgress>(MethodDescriptor method, TArgs args, ArgsWriter<TArgs> writeArgs,
            IAsyncEnumerable<TArgItem> argumentItems, JsonTypeInfo<TArgItem> argumentItemType,
            IProgress<TProgress>? progress, JsonTypeInfo<TProgress> progressType, CancellationToken cancellationToken)
        {
            IOutboundChannel client = Volatile.Read(ref owner._client) ?? (IOutboundChannel)await owner.GetClientAsync(cancellationToken).ConfigureAwait(false);
            await client.RequestStreamingAsync(method, args, writeArgs, argumentItems, argumentItemType, progress, progressType, cancellationToken)
                .ConfigureAwait(false);
        }

        public IAsyncEnumerable<TItem> Stream<TArgs, TItem, TArgItem>(MethodDescriptor method, TArgs args, ArgsWriter<TArgs> writeArgs,
            JsonTypeInfo<TItem> itemType, IAsyncEnumerable<TArgItem> argumentItems, JsonTypeInfo<TArgItem> argumentItemType, CancellationToken cancellationToken) =>
            EnumerateBothWays(method, args, writeArgs, itemType, argumentItems, argumentItemType, cancellationToken, default);

        private async IAsyncEnumerable<TItem> EnumerateBothWays<TArgs, TItem, TArgItem>(MethodDescriptor method, TArgs args, ArgsWriter<TArgs> writeArgs,
            JsonTypeInfo<TItem> itemType, IAsyncEnumerable<TArgItem> argumentItems, JsonTypeInfo<TArgItem> argumentItemType, CancellationToken cancellationToken,
            [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken enumeratorToken)
        {
            IOutboundChannel client = Volatile.Read(ref owner._client) ?? (IOutboundChannel)await owner.GetClientAsync(cancellationToken).ConfigureAwait(false);
            await foreach (var item in client.Stream(method, args, writeArgs, itemType, argumentItems, argumentItemType, cancellationToken).WithCancellation(enumeratorToken).ConfigureAwait(false))
                yield return item;
        }

        public IAsyncEnumerable<TItem> Stream<TArgs, TItem>(MethodDescriptor method, TArgs args, ArgsWriter<TArgs> writeArgs,
            JsonTypeInfo<TItem> itemType, CancellationToken cancellationToken) =>
            Enumerate(method, args, writeArgs, itemType, cancellationToken, default);

        // Connects first if needed (like a call), then passes every item through from the client's own stream.
        private async IAsyncEnumerable<TItem> Enumerate<TArgs, TItem>(MethodDescriptor method, TArgs args, ArgsWriter<TArgs> writeArgs,
            JsonTypeInfo<TItem> itemType, CancellationToken cancellationToken, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken enumeratorToken)
        {
            IOutboundChannel client = Volatile.Read(ref owner._client) ?? (IOutboundChannel)await owner.GetClientAsync(cancellationToken).ConfigureAwait(false);
            await foreach (var item in client.Stream(method, args, writeArgs, itemType, cancellationToken).WithCancellation(enumeratorToken).ConfigureAwait(false))
                yield return item;
        }

        public void Publish<TArgs>(MethodDescriptor method, TArgs args, ArgsWriter<TArgs> writeArgs)
        {
            // Events are not kept for a connection that is not there (docs/semantics.md); this drops rather than throws.
            if (Volatile.Read(ref owner._client) is { Connection.IsConnected: true } client) ((IOutboundChannel)client).Publish(method, args, writeArgs);
        }
    }
}
