using Microsoft.Extensions.Logging;

namespace IpcContracts.Diagnostics;

/// <summary>
/// Every log message of the runtime, source-generated (no boxing, no reflection, AOT-safe). Messages name
/// peers, contracts, methods and sizes; payload contents are never logged.
/// </summary>
internal static partial class Log
{
    public const string Category = "IpcContracts";

    [LoggerMessage(EventId = 1, EventName = "ConnectionOpened", Level = LogLevel.Information,
        Message = "Connection to {Peer} established (peer process '{PeerName}').")]
    public static partial void ConnectionOpened(ILogger logger, string peer, string peerName);

    [LoggerMessage(EventId = 2, EventName = "ConnectionClosed", Level = LogLevel.Information,
        Message = "Connection to {Peer} ended ({DisconnectReason}): {Reason}")]
    public static partial void ConnectionClosed(ILogger logger, string peer, DisconnectReason disconnectReason, string reason);

    [LoggerMessage(EventId = 3, EventName = "ProtocolError", Level = LogLevel.Warning,
        Message = "Connection to {Peer} closed after a protocol error ({Error}): {Reason}")]
    public static partial void ProtocolError(ILogger logger, string peer, ProtocolError error, string reason);

    [LoggerMessage(EventId = 4, EventName = "HandshakeFailed", Level = LogLevel.Warning,
        Message = "Connection to {Peer} ended before the handshake completed: {Reason}")]
    public static partial void HandshakeFailed(ILogger logger, string peer, string reason);

    // The level of the two handler messages is the user's choice (IpcOptions.UnexpectedErrorLogLevel, DomainErrorLogLevel).
    [LoggerMessage(EventId = 10, EventName = "HandlerFailed",
        Message = "Handler of {Service}/{Method} failed (call {CorrelationId} from {Peer}); the caller gets a RemoteInvocationException.")]
    public static partial void HandlerFailed(ILogger logger, LogLevel level, Exception exception, string service, string method, ulong correlationId, string peer);

    // No exception argument on purpose: a domain error is an expected outcome, its stack trace is noise.
    [LoggerMessage(EventId = 14, EventName = "HandlerDomainError",
        Message = "Handler of {Service}/{Method} failed with error code {ErrorCode} (call {CorrelationId} from {Peer}): {ExceptionType}: {ExceptionMessage}")]
    public static partial void HandlerDomainError(ILogger logger, LogLevel level, string service, string method, string errorCode, ulong correlationId, string peer,
        string exceptionType, string exceptionMessage);

    [LoggerMessage(EventId = 11, EventName = "CallRejected", Level = LogLevel.Warning,
        Message = "Call {Service}/{Method} ({CorrelationId}) from {Peer} was rejected: {Reason}")]
    public static partial void CallRejected(ILogger logger, string service, string method, ulong correlationId, string peer, string reason);

    [LoggerMessage(EventId = 12, EventName = "HandlerCancelled", Level = LogLevel.Debug,
        Message = "Handler of {Service}/{Method} ({CorrelationId}) from {Peer} ended by cancellation.")]
    public static partial void HandlerCancelled(ILogger logger, string service, string method, ulong correlationId, string peer);

    [LoggerMessage(EventId = 13, EventName = "BadTraceContext", Level = LogLevel.Warning,
        Message = "A {Kind} frame from {Peer} has a malformed trace-context prefix ({Reason}); it was answered with bad_payload or dropped.")]
    public static partial void BadTraceContext(ILogger logger, string kind, string peer, string reason);

    [LoggerMessage(EventId = 20, EventName = "EventSubscriberFailed", Level = LogLevel.Error,
        Message = "An event subscriber threw; later events are still delivered.")]
    public static partial void EventSubscriberFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 40, EventName = "SecurityEvent", Level = LogLevel.Warning,
        Message = "{Message}")]
    public static partial void SecurityEvent(ILogger logger, string message);

    [LoggerMessage(EventId = 30, EventName = "AggregatorStartFailed", Level = LogLevel.Error,
        Message = "The aggregator could not connect or listen; it tries again on its next use.")]
    public static partial void AggregatorStartFailed(ILogger logger, Exception exception);
}
