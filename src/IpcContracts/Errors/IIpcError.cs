namespace IpcContracts;

/// <summary>
/// Implemented by an exception that carries a stable error code, so that a handler's own domain exception types
/// (which may already derive from another base class) travel like <see cref="IpcErrorException"/>: the caller gets
/// <see cref="RemoteInvocationException.ErrorCode"/> = <see cref="ErrorCode"/>, and the handler's exception is logged as a
/// domain error (<see cref="IpcOptions.DomainErrorLogLevel"/>, without its stack trace).
/// </summary>
/// <remarks>
/// A code that is null, empty, only white space or longer than 256 characters counts as no code: the exception is sent
/// and logged like any other (the caller sees <see cref="RemoteInvocationException.UnhandledErrorCode"/>).
/// </remarks>
public interface IIpcError
{
    /// <summary>The stable, machine-readable code a caller switches on, e.g. <c>inventory.out_of_stock</c>.</summary>
    string? ErrorCode { get; }
}
