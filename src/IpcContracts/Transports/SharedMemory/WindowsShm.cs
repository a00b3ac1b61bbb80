using System.IO.MemoryMappedFiles;
using System.Runtime.Versioning;

namespace IpcContracts.Transports.SharedMemory;

/// <summary>
/// <c>shm://</c> on Windows: each connection's segment is a pagefile-backed named memory map
/// <c>Local\ipccontracts-PID-COUNTER-GUID</c> (this session's namespace, default DACL: this user), and each of its four
/// wait words has a named auto-reset event next to it (the map's name plus <c>-0r</c>, <c>-0w</c>, <c>-1r</c>, <c>-1w</c>:
/// ring 0/1, reader/writer), which replaces the futex; the signal words themselves stay in the segment. Named kernel
/// objects vanish with their last handle, so nothing is left behind, even after a kill.
/// </summary>
[SupportedOSPlatform("windows")]
internal sealed class WindowsShm : ShmPlatform
{
    internal const string NamePrefix = @"Local\ipccontracts-";

    /// <summary>Suffixes of the event names, in the order of <see cref="Segment.Signal"/>'s index.</summary>
    internal static readonly string[] SignalSuffixes = ["-0r", "-0w", "-1r", "-1w"];

    private static int s_counter;

    public override Segment Create(int ringSize)
    {
        var name = $"{NamePrefix}{Environment.ProcessId}-{Interlocked.Increment(ref s_counter)}-{Guid.NewGuid():N}";
        var map = MemoryMappedFile.CreateNew(name, SegmentLayout.SegmentSize(ringSize), MemoryMappedFileAccess.ReadWrite);
        return Segment.Map(map, name, ringSize, isServer: true, _ => Signals(name, create: true));
    }

    public override Segment Open(string name, int ringSize)
    {
        if (!name.StartsWith(NamePrefix, StringComparison.Ordinal) || name.IndexOf('\\', NamePrefix.Length) >= 0)
            throw new IpcProtocolException(ProtocolError.BadPayload, $"The server named an unexpected segment '{name}'.");
        MemoryMappedFile map;
        try
        {
            map = MemoryMappedFile.OpenExisting(name, MemoryMappedFileRights.ReadWrite);
        }
        catch (FileNotFoundException e)
        {
            // The server ended (or gave up on this rendezvous) before we opened it.
            throw new ChannelFaultedException($"The shared-memory segment '{name}' no longer exists: {e.Message}");
        }
        return Segment.Map(map, name, ringSize, isServer: false, _ => Signals(name, create: false));
    }

    private static WaitSignal[] Signals(string name, bool create)
    {
        var signals = new WaitSignal[SignalSuffixes.Length];
        try
        {
            for (var i = 0; i < signals.Length; i++)
            {
                var eventName = name + SignalSuffixes[i];
                EventWaitHandle handle;
                if (create)
                {
                    handle = new EventWaitHandle(false, EventResetMode.AutoReset, eventName, out var createdNew);
                    if (!createdNew)
                    {
                        handle.Dispose();
                        throw new IpcException($"The event '{eventName}' exists already: another process took a name only this one should make.");
                    }
                }
                else
                {
                    try
                    {
                        handle = EventWaitHandle.OpenExisting(eventName);
                    }
                    catch (WaitHandleCannotBeOpenedException e)
                    {
                        throw new ChannelFaultedException($"The shared-memory event '{eventName}' no longer exists: {e.Message}");
                    }
                }
                signals[i] = new EventSignal(handle);
            }
            return signals;
        }
        catch
        {
            foreach (var signal in signals) signal?.Dispose();
            throw;
        }
    }
}
