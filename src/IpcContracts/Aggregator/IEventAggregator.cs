namespace IpcContracts;

/// <summary>
/// Message-bus view of IpcContracts (the seed aggregator API): publish and subscribe by message type,
/// request/response by request type. Local handlers run in-process without serialization; remote
/// ones are reached over the configured connection. Message types need a <c>[JsonSerializable]</c>
/// registration in a project that uses the IpcContracts generator.
/// </summary>
public interface IEventAggregator : IAsyncDisposable
{
    /// <summary>
    /// Listens or connects now, and fails now if it cannot. Without it the aggregator starts on first use (its first
    /// publish or request, or in the background after its first subscription), where a taken port or a missing server
    /// surfaces late. With the Generic Host, <c>services.AddIpcContracts(...).StartWithHost()</c> (IpcContracts.Hosting)
    /// calls it while the host starts, so such a failure fails the start. Calling it again once
    /// started does nothing; after a failure it tries again. Register subscriptions and request handlers first: they go
    /// into the handshake, so the peer knows them from the start.
    /// </summary>
    /// <exception cref="EndpointInUseException">The aggregator listens and another server holds the endpoint (a taken TCP port).</exception>
    /// <exception cref="NoServerListeningException">
    /// The aggregator connects and no server listens there (at once, or after <see cref="IpcOptions.ConnectTimeout"/>
    /// with <see cref="IpcOptions.WaitForServer"/>).
    /// </exception>
    /// <exception cref="IpcException">Any other failure to listen or connect (a refused handshake, for instance).</exception>
    Task StartAsync(CancellationToken cancellationToken = default);

    /// <summary>Delivers <paramref name="message"/> to local subscribers, then to every connected peer subscribed to <typeparamref name="T"/>.</summary>
    /// <exception cref="ChannelFaultedException">
    /// The aggregator is a client and its connection is down (it reconnects by itself). The message was delivered to
    /// nobody, local subscribers included, so publishing it again duplicates nothing.
    /// </exception>
    Task PublishAsync<T>(T message, CancellationToken cancellationToken = default);

    /// <summary>Sends a request to the local handler if there is one, else to the peer that handles <typeparamref name="TRequest"/>.</summary>
    Task<TResponse> RequestAsync<TRequest, TResponse>(TRequest request, CancellationToken cancellationToken = default);

    /// <summary>Subscribes to <typeparamref name="T"/>. Held strongly unless <paramref name="weak"/>; dispose the token to unsubscribe.</summary>
    IDisposable Subscribe<T>(Action<T> handler, bool weak = false);

    /// <summary>Subscribes an async handler to <typeparamref name="T"/>.</summary>
    IDisposable Subscribe<T>(Func<T, Task> handler, bool weak = false);

    /// <summary>Answers requests of type <typeparamref name="TRequest"/>; one handler per request type.</summary>
    IDisposable SubscribeRequest<TRequest, TResponse>(Func<TRequest, CancellationToken, Task<TResponse>> handler);

    /// <summary>Same as disposing <paramref name="subscription"/>.</summary>
    void Unsubscribe(IDisposable subscription);
}
