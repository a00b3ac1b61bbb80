using System.IO.Pipelines;

namespace IpcContracts.Transports;

/// <summary>
/// One duplex byte stream between two processes. The core reads and writes frames through the pipes; a
/// transport describes what else it needs through <see cref="Features"/> (the core never looks at the
/// concrete type).
/// </summary>
/// <remarks>
/// Writes must never block the calling thread: when the peer has no room, <see cref="PipeWriter.FlushAsync"/>
/// and <see cref="PipeWriter.WriteAsync"/> return a pending task and finish the write later. The core calls them
/// from threads that read frames, and a blocked reader can deadlock two processes.
/// </remarks>
public interface ITransportConnection : IDuplexPipe, IAsyncDisposable
{
    /// <summary>Human-readable description of the peer, for logs and errors.</summary>
    string PeerDescription { get; }

    /// <summary>What this connection needs from the core. Default <see cref="TransportFeatures.None"/>.</summary>
    TransportFeatures Features => TransportFeatures.None;

    /// <summary>
    /// With <see cref="TransportFeatures.EventAcknowledgements"/>: this process is done with the inbound event whose
    /// correlation ID was <paramref name="deliveryTag"/> (never 0). Called at most once per such event (events without a
    /// subscriber are done with at once, the others once their subscribers finish), from the connection's read or event
    /// loop: it must not block. Not called without the feature.
    /// </summary>
    void EventHandled(ulong deliveryTag) { }

    /// <summary>
    /// With <see cref="TransportFeatures.CallOrigins"/>: the Request with <paramref name="correlationId"/>, about to be
    /// written, was made by the handler of the inbound Request <paramref name="inboundCorrelationId"/> on this connection.
    /// Called on the caller's thread before the frame is queued; must not block. Not called for calls made outside a
    /// handler, nor without the feature.
    /// </summary>
    void RequestIssued(ulong correlationId, ulong inboundCorrelationId) { }

    /// <summary>
    /// With <see cref="TransportFeatures.BusHandlerChanges"/>: this process now answers (<paramref name="added"/>) or no longer
    /// answers aggregator requests of type <paramref name="requestTypeId"/> (<paramref name="requestTypeName"/>), with bus
    /// fingerprint <paramref name="fingerprint"/> (its <c>busHandles</c> entry, docs/protocol.md 4.1). Called for every
    /// handler registered when the connection starts (before its Hello is written) and for every later change, in the order
    /// of the changes, on the thread that made the change: it must not block. Not called without the feature.
    /// </summary>
    void BusRequestHandlerChanged(uint requestTypeId, string requestTypeName, ulong fingerprint, bool added) { }
}
