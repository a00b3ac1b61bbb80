namespace IpcContracts;

/// <summary>
/// The peer's handler threw (or, as a handler reads its argument stream, the caller's sequence or <see cref="Stream"/>
/// threw in the caller's process). Carries the error code to switch on (<see cref="ErrorCode"/>), the remote exception's
/// type name, message and, for an exception without a code, its stack text.
/// </summary>
public sealed class RemoteInvocationException : IpcException
{
    /// <summary>
    /// The <see cref="ErrorCode"/> of a handler exception that carries no code of its own (neither an
    /// <see cref="IpcErrorException"/> nor an <see cref="IIpcError"/>): an unexpected failure, a bug, a handler's own
    /// call failing. Also what a peer that sends no code is read as.
    /// </summary>
    public const string UnhandledErrorCode = "unhandled";

    /// <summary>Creates the exception for a handler exception without a code (<see cref="ErrorCode"/> = <see cref="UnhandledErrorCode"/>).</summary>
    public RemoteInvocationException(string remoteType, string remoteMessage, string? remoteStackTrace)
        : this(remoteType, remoteMessage, remoteStackTrace, UnhandledErrorCode)
    {
    }

    /// <summary>Creates the exception; a null or empty <paramref name="errorCode"/> is read as <see cref="UnhandledErrorCode"/>.</summary>
    public RemoteInvocationException(string remoteType, string remoteMessage, string? remoteStackTrace, string? errorCode)
        : this("The remote handler", remoteType, remoteMessage, remoteStackTrace, errorCode)
    {
    }

    /// <summary>
    /// The same, with the message naming <paramref name="thrower"/> as what threw in the other process: the caller's
    /// argument stream, where a handler reads it, so the text does not blame a handler that was not there.
    /// </summary>
    internal RemoteInvocationException(string thrower, string remoteType, string remoteMessage, string? remoteStackTrace, string? errorCode)
        : base(string.IsNullOrEmpty(errorCode) || errorCode == UnhandledErrorCode
            ? $"{thrower} threw {remoteType}: {remoteMessage}"
            : $"{thrower} failed with error code '{errorCode}' ({remoteType}): {remoteMessage}")
    {
        RemoteType = remoteType;
        RemoteMessage = remoteMessage;
        RemoteStackTrace = remoteStackTrace;
        ErrorCode = string.IsNullOrEmpty(errorCode) ? UnhandledErrorCode : errorCode;
    }

    /// <summary>
    /// The stable code to switch on: the code the handler gave its error (<see cref="IpcErrorException.ErrorCode"/>, or
    /// <see cref="IIpcError.ErrorCode"/> of its own exception type), else <see cref="UnhandledErrorCode"/>. Never null.
    /// </summary>
    public string ErrorCode { get; }

    /// <summary>Full name of the exception type thrown in the other process.</summary>
    public string RemoteType { get; }

    /// <summary>Message of the remote exception.</summary>
    public string RemoteMessage { get; }

    /// <summary>Stack trace text of the remote exception, if the peer sent one (it sends none for an error with a code).</summary>
    public string? RemoteStackTrace { get; }

    /// <inheritdoc />
    public override string ToString() =>
        base.ToString() + (RemoteStackTrace is null ? "" : Environment.NewLine + "--- Remote stack trace ---" + Environment.NewLine + RemoteStackTrace);
}
