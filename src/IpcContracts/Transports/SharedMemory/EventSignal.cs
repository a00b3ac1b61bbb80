using System.Runtime.Versioning;

namespace IpcContracts.Transports.SharedMemory;

/// <summary>
/// Windows: a named auto-reset event per wait word. A wake that comes while nobody sleeps leaves the event set, so the
/// next wait returns at once (a spurious wake-up the ring's loop absorbs) and no wake is ever lost.
/// </summary>
[SupportedOSPlatform("windows")]
internal sealed class EventSignal(EventWaitHandle handle) : WaitSignal
{
    public override void Wait(int expected, int timeoutMs) => handle.WaitOne(timeoutMs);

    public override void Wake() => handle.Set();

    public override void Dispose() => handle.Dispose();
}
