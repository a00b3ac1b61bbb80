namespace IpcContracts.Connections;

/// <summary>
/// A call whose outcome waits for the send path to finish with the caller's memory (<see cref="BorrowedArgument"/>):
/// <see cref="PublishParked"/> runs once, on the pool, when the frame that borrowed the memory has been released.
/// </summary>
internal interface IParkedOutcome
{
    void PublishParked();
}
