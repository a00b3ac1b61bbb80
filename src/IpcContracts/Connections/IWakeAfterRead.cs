namespace IpcContracts.Connections;

/// <summary>A consumer the read loop wakes once it has handled the read that brought its items (<see cref="IpcConnection.WakeAfterRead"/>).</summary>
internal interface IWakeAfterRead
{
    void Wake();
}
