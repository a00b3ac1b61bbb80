namespace IpcContracts;

/// <summary>
/// A server cannot listen on the endpoint because another one already does (a live server on the same pipe or shm name,
/// a TCP port that is taken). Thrown at start: by <see cref="IpcServer"/>, and by an aggregator's
/// <see cref="IEventAggregator.StartAsync"/>. The message names <see cref="Endpoint"/> as the caller wrote it.
/// </summary>
public sealed class EndpointInUseException : IpcException
{
    /// <summary>Creates the exception for <paramref name="endpoint"/>; <paramref name="detail"/> says what holds it, if known.</summary>
    public EndpointInUseException(string endpoint, string? detail = null, Exception? inner = null)
        : base($"Cannot listen on {endpoint}: another server is already listening there{(detail is null ? "" : $" ({detail})")}.", inner)
    {
        Endpoint = endpoint;
    }

    /// <summary>The endpoint the server was asked to listen on, e.g. <c>tcp://127.0.0.1:5000</c>.</summary>
    public string Endpoint { get; }
}
