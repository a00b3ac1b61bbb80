namespace IpcContracts.Transports;

/// <summary>Capabilities and needs a transport connection declares to the core.</summary>
[Flags]
public enum TransportFeatures
{
    /// <summary>Reads complete asynchronously; the core reads on the thread pool.</summary>
    None = 0,

    /// <summary>
    /// Reads wait by blocking the calling thread (spin, then sleep: shared memory). The core gives the connection's
    /// read loop a dedicated thread, and by default runs callers' continuations on it
    /// (<see cref="IpcOptions.ContinuationsOnReaderThread"/>), since that thread is awake anyway.
    /// </summary>
    BlockingReads = 1,

    /// <summary>
    /// The transport wants to know when this process is done with an event it handed over (a broker that redelivers
    /// what was not acknowledged). It may put a delivery tag of its own choosing in an inbound Event frame's correlation
    /// ID (0 on the wire, docs/protocol.md section 3.1); once the subscribers have finished with an event carrying a
    /// non-zero tag (returned or thrown, or it had no subscriber, or the overflow policy dropped it), the core calls
    /// <see cref="ITransportConnection.EventHandled"/> with that tag. An event the core did not take (refused by a
    /// closing connection, or the one that made the Disconnect policy close it) is not reported, so the transport can have
    /// it delivered again.
    /// </summary>
    EventAcknowledgements = 2,

    /// <summary>
    /// The transport wants to know which inbound Request a handler was running when it made an outbound call (a broker
    /// routes such a callback to the process that made the inbound call, not to any process that serves the contract).
    /// The core calls <see cref="ITransportConnection.RequestIssued"/> before it queues the Request frame.
    /// </summary>
    CallOrigins = 4,

    /// <summary>
    /// The transport routes aggregator requests by what each process answers (a broker subscribes a process to the request
    /// types it serves), so it wants to hear of aggregator request handlers as they come and go, not only from the Hello
    /// (a snapshot): the core calls <see cref="ITransportConnection.BusRequestHandlerChanged"/> once for each handler
    /// registered when the connection starts, and again for each one added or removed later, in order.
    /// </summary>
    BusHandlerChanges = 8,

    /// <summary>
    /// A read of the transport's <see cref="System.IO.Pipelines.IDuplexPipe.Input"/> completes on the thread that delivers the bytes,
    /// which goes back to receiving only once the core's read loop waits again (a broker client's receive loop that writes
    /// each message into the pipe the core reads, with an inline reader scheduler: the message reaches the core without a
    /// thread hand-off). Callers' continuations are then not resumed on that thread when the loop waits, as they are on
    /// socket transports (it would hold up receiving); they are queued, unless
    /// <see cref="IpcOptions.ContinuationsOnReaderThread"/> asks for the reader thread.
    /// </summary>
    InlineReads = 16,

    /// <summary>
    /// With <see cref="BlockingReads"/>: callers' continuations go to the thread pool unless
    /// <see cref="IpcOptions.ContinuationsOnReaderThread"/> asks for the reader thread. For a transport that chose to read on
    /// a thread of its own by itself (a socket connection given a reader thread automatically,
    /// <see cref="IpcOptions.DedicatedReaderThread"/>), so the code after an <c>await</c> keeps the rules it has without one.
    /// </summary>
    PooledContinuations = 32,
}
