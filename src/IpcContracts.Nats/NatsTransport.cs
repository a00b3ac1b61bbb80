using IpcContracts.Transports;

namespace IpcContracts.Nats;

/// <summary>
/// The <c>nats://HOST:PORT[/PREFIX]</c> transport: the same contracts over a NATS broker. Requests go to whichever
/// process serves the contract (a NATS queue group, so several server processes share the load); events are
/// published once and NATS fans them out to every subscriber on every host. Opt in once per process with
/// <see cref="Register"/>; then <see cref="IpcServer.StartAsync(string, Action{IpcEndpointBuilder}?, IpcOptions?, CancellationToken)"/>
/// and <see cref="IpcClient.ConnectAsync(string, Action{IpcEndpointBuilder}?, IpcOptions?, CancellationToken)"/> accept
/// <c>nats://</c> endpoints. docs/protocol.md section 9 describes the mapping.
/// </summary>
public sealed class NatsTransport : IIpcTransport
{
    private readonly NatsTransportOptions _options;

    /// <summary>A transport with <paramref name="options"/> (defaults when null).</summary>
    /// <exception cref="IpcConfigurationException">The subject prefix is not a valid NATS subject.</exception>
    public NatsTransport(NatsTransportOptions? options = null)
    {
        _options = options ?? new NatsTransportOptions();
        NatsAddress.CheckPrefix(_options.SubjectPrefix, nameof(NatsTransportOptions.SubjectPrefix));
        if (_options.ManifestTimeout <= TimeSpan.Zero)
            throw new IpcConfigurationException("NatsTransportOptions.ManifestTimeout must be positive.");
        _options.DurableEvents.Validate();
    }

    /// <summary>Registers the NATS transport for the <c>nats</c> scheme (replacing an earlier registration).</summary>
    public static void Register(NatsTransportOptions? options = null) => TransportRegistry.Register(new NatsTransport(options));

    /// <inheritdoc />
    public string Scheme => "nats";

    /// <inheritdoc />
    public async ValueTask<IIpcListener> ListenAsync(IpcEndpoint endpoint, IpcOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentNullException.ThrowIfNull(options);
        var address = NatsAddress.Parse(endpoint, _options.SubjectPrefix);
        // Connected now, so a broker that cannot be reached fails StartAsync instead of the accept loop.
        var first = await NatsBrokerConnection.OpenAsync(address, _options, options, cancellationToken).ConfigureAwait(false);
        return new NatsListener(endpoint, address, _options, options, first);
    }

    /// <inheritdoc />
    public async ValueTask<ITransportConnection> ConnectAsync(IpcEndpoint endpoint, IpcOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentNullException.ThrowIfNull(options);
        return await NatsBrokerConnection.OpenAsync(NatsAddress.Parse(endpoint, _options.SubjectPrefix), _options, options, cancellationToken)
            .ConfigureAwait(false);
    }
}
