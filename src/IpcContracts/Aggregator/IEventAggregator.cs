namespace IpcContracts;

/// <summary>
/// Message-bus view of IpcContracts (the seed aggregator API): publish and subscribe by message type,
/// request/response by request type. Local handlers run in-process without serialization; remote
/// ones are reached over the configured connection. Message types need a <c>[JsonSerializable]</c>
/// registration in a project that uses the IpcContracts generator.
/// </summary>
public interface IEventAggregator : IAsyncDisposable
{
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
