namespace IpcContracts;

/// <summary>
/// The peer refused the call because it already runs its limit of requests from this connection
/// (<see cref="IpcOptions.MaxInFlightRequests"/>). The call was not run; retrying later is safe.
/// </summary>
public sealed class IpcOverloadedException : IpcException
{
    /// <summary>Creates the exception.</summary>
    public IpcOverloadedException(string message) : base(message) { }
}
