using NATS.Client.Core;

namespace IpcContracts.Nats;

/// <summary>Options of the NATS transport (<see cref="NatsTransport"/>).</summary>
public sealed class NatsTransportOptions
{
    /// <summary>
    /// Subject prefix for endpoints that do not name one (<c>nats://HOST:PORT</c>); <c>nats://HOST:PORT/PREFIX</c>
    /// overrides it. Processes talk to each other only under the same prefix, so several systems can share a broker.
    /// Default <c>ipc</c>.
    /// </summary>
    public string SubjectPrefix { get; init; } = "ipc";

    /// <summary>
    /// How long a connecting process waits for a serving process to answer a manifest request (one per request contract,
    /// all at once). A contract nobody answers for is checked per call instead. Default 2 s.
    /// </summary>
    public TimeSpan ManifestTimeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Adjusts the NATS client options before each connection: credentials (<see cref="NatsOpts.AuthOpts"/>: user and
    /// password, token, NKey, JWT or a creds file) and TLS (<see cref="NatsOpts.TlsOpts"/>). The transport sets
    /// <see cref="NatsOpts.Url"/>, <see cref="NatsOpts.Name"/>, <see cref="NatsOpts.ConnectTimeout"/> and
    /// <see cref="NatsOpts.MaxReconnectRetry"/> (0: a lost broker connection ends the IpcContracts connection, and
    /// <see cref="IpcClient"/> reconnects as on every other transport) before calling this.
    /// </summary>
    public Func<NatsOpts, NatsOpts>? ConfigureConnection { get; init; }

    /// <summary>
    /// Which event contracts are durable (stored by JetStream, delivered at least once, kept for a subscriber that is
    /// down). None by default: events are fanned out by core NATS to whoever is subscribed at that moment.
    /// </summary>
    public NatsDurableEventOptions DurableEvents { get; } = new();
}
