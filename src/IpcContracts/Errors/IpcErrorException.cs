namespace IpcContracts;

/// <summary>
/// Thrown by a handler to fail a call with a domain error: an outcome the contract expects (out of stock, not found,
/// not allowed), identified by a stable <see cref="ErrorCode"/> the caller can switch on. The caller gets a
/// <see cref="RemoteInvocationException"/> whose <see cref="RemoteInvocationException.ErrorCode"/> is this code and whose
/// <see cref="RemoteInvocationException.RemoteMessage"/> is this message; no stack trace is sent, and the handler's side
/// logs it at <see cref="IpcOptions.DomainErrorLogLevel"/> (Warning) without one. An exception type of your own can do
/// the same by implementing <see cref="IIpcError"/>.
/// </summary>
/// <remarks>
/// Not an <see cref="IpcException"/>: nothing failed in the communication. A code crosses one hop only: a handler whose own
/// call fails with a coded <see cref="RemoteInvocationException"/> forwards the code only if it throws it again
/// (<c>throw new IpcErrorException(e.ErrorCode, e.RemoteMessage)</c>).
/// </remarks>
public class IpcErrorException : Exception, IIpcError
{
    /// <summary>Creates the exception.</summary>
    /// <param name="errorCode">The stable code, 1 to 256 characters, not only white space (e.g. <c>inventory.out_of_stock</c>).</param>
    /// <param name="message">What went wrong, for people; the caller gets it as <see cref="RemoteInvocationException.RemoteMessage"/>.</param>
    /// <param name="inner">The exception that caused this one, if any (stays in this process: it is not sent).</param>
    /// <exception cref="ArgumentException"><paramref name="errorCode"/> is null, empty, white space or longer than 256 characters.</exception>
    public IpcErrorException(string errorCode, string message, Exception? inner = null) : base(message, inner)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(errorCode);
        if (errorCode.Length > Connections.ErrorFrames.MaxErrorCodeLength)
            throw new ArgumentException($"An error code has at most {Connections.ErrorFrames.MaxErrorCodeLength} characters.", nameof(errorCode));
        ErrorCode = errorCode;
    }

    /// <summary>The stable, machine-readable code the caller receives as <see cref="RemoteInvocationException.ErrorCode"/>.</summary>
    public string ErrorCode { get; }
}
