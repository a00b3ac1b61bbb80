using IpcContracts.Transports;

namespace IpcContracts.Nats;

/// <summary>
/// A server's side of the broker: one connection at a time (the broker is its only peer). When that connection ends
/// (the broker went away), the next accept opens a new one, retrying with backoff while the broker is unreachable.
/// </summary>
internal sealed class NatsListener : IIpcListener
{
    private readonly NatsAddress _address;
    private readonly NatsTransportOptions _transportOptions;
    private readonly IpcOptions _options;
    private readonly NatsBrokerConnection _first;
    private NatsBrokerConnection? _pending;
    private NatsBrokerConnection _current;
    private int _disposed;

    public NatsListener(IpcEndpoint endpoint, NatsAddress address, NatsTransportOptions transportOptions, IpcOptions options, NatsBrokerConnection first)
    {
        Endpoint = endpoint;
        _address = address;
        _transportOptions = transportOptions;
        _options = options;
        _first = _pending = _current = first;
    }

    public IpcEndpoint Endpoint { get; }

    public async ValueTask<ITransportConnection> AcceptAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _pending, null) is { } connection) return connection;
        await _current.Closed.WaitAsync(cancellationToken).ConfigureAwait(false);
        var delay = TimeSpan.FromMilliseconds(100);
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                _current = await NatsBrokerConnection.OpenAsync(_address, _transportOptions, _options, cancellationToken).ConfigureAwait(false);
                return _current;
            }
            catch (ChannelFaultedException e)
            {
                _options.ReportSecurityEvent($"NATS transport: the server on {Endpoint} is not serving: {e.Message} (retrying in {delay.TotalSeconds:0.#} s)");
                await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(5).Ticks));
            }
        }
    }

    public ValueTask WhenServingAsync(CancellationToken cancellationToken) => new(_first.Serving.WaitAsync(cancellationToken));

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        // A connection never accepted belongs to nobody else; accepted ones are disposed by the server.
        if (Interlocked.Exchange(ref _pending, null) is { } unaccepted) await unaccepted.DisposeAsync().ConfigureAwait(false);
    }
}
