namespace IpcContracts;

/// <summary>What happens when a subscriber does not take events as fast as they are published.</summary>
public enum EventOverflowPolicy
{
    /// <summary>
    /// Close the slow subscriber's connection with a reason (it sees <see cref="ChannelFaultedException"/> and may
    /// reconnect); publishers and every other subscriber go on at full speed. The default.
    /// </summary>
    Disconnect = 0,

    /// <summary>
    /// Drop the oldest events of the same contract still queued for that subscriber to make room (the newest
    /// survive: right for state updates where only the latest value matters). Never closes the connection.
    /// </summary>
    DropOldest = 1,

    /// <summary>
    /// Make the publisher wait for room, up to <see cref="EventDeliveryOptions.WaitTimeout"/>, then close the slow
    /// subscriber's connection. The only policy under which publishing can wait on a subscriber: use it where
    /// losing an event is worse than a slower publisher, and never publish from a handler or subscriber callback
    /// with it (that thread may be the one reading frames).
    /// </summary>
    Wait = 2,
}
