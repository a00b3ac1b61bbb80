namespace IpcContracts;

/// <summary>Base class of every exception IpcContracts throws for communication failures.</summary>
public class IpcException : Exception
{
    /// <summary>Creates the exception.</summary>
    public IpcException(string message, Exception? inner = null) : base(message, inner) { }

    /// <summary>
    /// Set only where an inbound request's own dispatch fails (its arguments do not parse, its contract or
    /// method is unknown here). Only such failures are answered with <c>bad_payload</c> or <c>mismatch</c>;
    /// the same exception types thrown by a handler's own outbound calls travel as <c>remote</c>, so the
    /// caller can tell "my call was wrong" from "the handler's nested call failed" (docs/protocol.md, 5.3).
    /// </summary>
    internal bool IsDispatchFailure { get; init; }
}
