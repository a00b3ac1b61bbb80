using IpcContracts.Runtime;

namespace IpcContracts.Nats;

/// <summary>
/// Durable events over NATS JetStream (<see cref="NatsTransportOptions.DurableEvents"/>): which event contracts are
/// durable, under which name this process consumes them, and the stream and acknowledgement settings. Set it up before
/// <see cref="NatsTransport.Register"/>; docs/protocol.md section 9.1 describes the streams and consumers.
/// </summary>
/// <remarks>
/// A durable event is stored by the broker before the publisher counts it as sent (a Ping the publisher sends after it
/// returns only once the broker has acknowledged every durable event published before it), and delivered at least once
/// to each consumer name: the broker keeps what a subscriber has not acknowledged while it is down, and the subscriber
/// acknowledges an event only after its handlers have finished with it. Processes that consume under the same name
/// share one cursor (each event goes to one of them); processes under different names each receive every event.
/// </remarks>
public sealed class NatsDurableEventOptions
{
    private readonly HashSet<uint> _contracts = [];

    /// <summary>Makes the events of one [EventContract] interface durable in this process (publishing and subscribing).</summary>
    /// <exception cref="IpcConfigurationException">The type is not a registered event contract.</exception>
    public NatsDurableEventOptions Add<TEventContract>() where TEventContract : class
    {
        _contracts.Add(ContractRegistry.Get<TEventContract>(ContractKind.Event).Id);
        return this;
    }

    /// <summary>Every event contract is durable in this process. Default false: only those given to <see cref="Add{TEventContract}"/>.</summary>
    public bool All { get; set; }

    /// <summary>
    /// The name this process consumes durable events under (the JetStream durable consumer of each durable contract): letters,
    /// digits, <c>-</c> and <c>_</c>. It must stay the same across restarts for a restarted process to receive what it missed.
    /// Default: the application's name (<see cref="AppDomain.FriendlyName"/>, other characters replaced by <c>_</c>).
    /// </summary>
    public string? ConsumerName { get; set; }

    /// <summary>
    /// How long the broker waits for a delivered event's acknowledgement before delivering it again; it also bounds how
    /// long a publisher waits for the broker to acknowledge a durable event before it ends the connection. A handler that
    /// runs longer than this may see the event twice. Default 30 s.
    /// </summary>
    public TimeSpan AckWait { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Most events delivered to this process and not yet acknowledged, per contract, and most durable events this process
    /// has published and the broker has not yet acknowledged. Default 1,000.
    /// </summary>
    public int MaxInFlight { get; set; } = 1000;

    /// <summary>How long the broker keeps an event no consumer has acknowledged yet (the stream's max age). Default 7 days.</summary>
    public TimeSpan MaxAge { get; set; } = TimeSpan.FromDays(7);

    internal bool IsDurable(uint contractId) => All || (_contracts.Count != 0 && _contracts.Contains(contractId));

    internal bool Any => All || _contracts.Count != 0;

    internal string ResolvedConsumerName => ConsumerName ?? string.Concat(AppDomain.CurrentDomain.FriendlyName.Select(ch => IsNameChar(ch) ? ch : '_'));

    internal void Validate()
    {
        if (ConsumerName is { } name && (name.Length == 0 || !name.All(IsNameChar)))
            throw new IpcConfigurationException($"NatsDurableEventOptions.ConsumerName '{name}' is not a valid consumer name: use letters, digits, '-' and '_'.");
        if (AckWait <= TimeSpan.Zero) throw new IpcConfigurationException("NatsDurableEventOptions.AckWait must be positive.");
        if (MaxInFlight <= 0) throw new IpcConfigurationException("NatsDurableEventOptions.MaxInFlight must be positive.");
        if (MaxAge <= TimeSpan.Zero) throw new IpcConfigurationException("NatsDurableEventOptions.MaxAge must be positive.");
    }

    private static bool IsNameChar(char ch) => char.IsAsciiLetterOrDigit(ch) || ch is '-' or '_';
}
