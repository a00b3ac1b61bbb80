namespace IpcContracts;

/// <summary>
/// Bounds and overflow policy of event queues: per subscriber on the publishing side (events waiting to be sent
/// to one peer) and per connection on the receiving side (events read but not yet handled by local subscribers).
/// </summary>
public sealed class EventDeliveryOptions
{
    private readonly Dictionary<uint, EventOverflowPolicy> _perContract = [];

    /// <summary>
    /// Most bytes of events queued for one subscriber, and most bytes of received events waiting for this process's
    /// subscribers on one connection. Past it, <see cref="Overflow"/> (or the contract's own policy) applies. One
    /// event is always accepted, however large. Default 64 MiB: a burst of a few hundred thousand small events ahead
    /// of a subscriber that is still starting fits (16 MiB disconnected the project's own event benchmark), and it stays
    /// below <see cref="IpcOptions.MaxSendQueueBytes"/> (128 MiB), the bound that closed a slow subscriber before
    /// policies existed, so an event flood meets its contract's policy first.
    /// </summary>
    public long MaxQueuedBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>Policy for contracts without their own (<see cref="SetOverflow{TEventContract}"/>). Default <see cref="EventOverflowPolicy.Disconnect"/>.</summary>
    public EventOverflowPolicy Overflow { get; set; } = EventOverflowPolicy.Disconnect;

    /// <summary>How long <see cref="EventOverflowPolicy.Wait"/> waits for room before it closes the connection. Default 5 s.</summary>
    public TimeSpan WaitTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Sets the overflow policy of one [EventContract] interface, overriding <see cref="Overflow"/>.</summary>
    public EventDeliveryOptions SetOverflow<TEventContract>(EventOverflowPolicy policy) where TEventContract : class
    {
        var contract = Runtime.ContractRegistry.Get<TEventContract>(ContractKind.Event);
        _perContract[contract.Id] = policy;
        return this;
    }

    /// <summary>The policy that applies to events of the contract with wire ID <paramref name="contractId"/>.</summary>
    internal EventOverflowPolicy PolicyFor(uint contractId) =>
        _perContract.Count != 0 && _perContract.TryGetValue(contractId, out var policy) ? policy : Overflow;

    internal Connections.EventOverflow For(uint contractId) => new(PolicyFor(contractId), MaxQueuedBytes, WaitTimeout);

    /// <summary>Aggregator messages (Bus events) follow <see cref="Overflow"/>.</summary>
    internal Connections.EventOverflow ForBus() => new(Overflow, MaxQueuedBytes, WaitTimeout);

    internal void Validate()
    {
        if (MaxQueuedBytes <= 0) throw new IpcConfigurationException("IpcOptions.Events.MaxQueuedBytes must be positive.");
        if (WaitTimeout <= TimeSpan.Zero) throw new IpcConfigurationException("IpcOptions.Events.WaitTimeout must be positive.");
        if (!Enum.IsDefined(Overflow)) throw new IpcConfigurationException($"IpcOptions.Events.Overflow has an unknown value {(int)Overflow}.");
    }
}
