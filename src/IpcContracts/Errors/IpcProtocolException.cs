namespace IpcContracts;

/// <summary>The peer sent bytes that break the protocol. The connection is closed with this error.</summary>
public sealed class IpcProtocolException : IpcException
{
    /// <summary>Creates the exception.</summary>
    public IpcProtocolException(ProtocolError error, string message, Exception? inner = null) : base(message, inner) => Error = error;

    /// <summary>The kind of protocol violation.</summary>
    public ProtocolError Error { get; }
}
