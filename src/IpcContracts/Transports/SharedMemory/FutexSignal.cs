namespace IpcContracts.Transports.SharedMemory;

/// <summary>Linux: a futex on the wait word inside the mapped segment (<see cref="Futex"/>).</summary>
internal sealed unsafe class FutexSignal(int* word) : WaitSignal
{
    public override void Wait(int expected, int timeoutMs) => Futex.Wait(word, expected, timeoutMs);

    public override void Wake() => Futex.Wake(word);
}
