using System.IO.MemoryMappedFiles;
using System.Runtime.Versioning;

namespace IpcContracts.Transports.SharedMemory;

/// <summary>
/// <c>shm://</c> on Linux. .NET has no named maps or named wait handles here, so the segment is a file under /dev/shm
/// (mode 0600), unlinked as soon as both sides have mapped it, and each side sleeps on a futex on the wait word itself.
/// A file left by a server killed between create and acknowledgement is removed at the next server start.
/// </summary>
[SupportedOSPlatform("linux")]
internal sealed class LinuxShm : ShmPlatform
{
    private const string FilePrefix = "ipccontracts-";
    private static int s_counter;

    /// <summary>Where segment files live while two processes rendezvous.</summary>
    internal static string SegmentDirectory => Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath();

    public override void BeforeListen() => RemoveOrphanedSegments();

    public override Segment Create(int ringSize)
    {
        var path = Path.Combine(SegmentDirectory,
            $"{FilePrefix}{Environment.UserName}-{Environment.ProcessId}-{Interlocked.Increment(ref s_counter)}-{Guid.NewGuid():N}");
        var fileOptions = new FileStreamOptions
        {
            Mode = FileMode.CreateNew, Access = FileAccess.ReadWrite, Share = FileShare.ReadWrite,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite, // owner-only
        };
        using (var file = new FileStream(path, fileOptions))
        {
            file.SetLength(SegmentLayout.SegmentSize(ringSize));
        }
        try
        {
            return MapFile(path, ringSize, isServer: true);
        }
        catch
        {
            BestEffortFile.TryDelete(path);
            throw;
        }
    }

    public override Segment Open(string name, int ringSize)
    {
        if (!Path.GetFileName(name).StartsWith(FilePrefix, StringComparison.Ordinal))
            throw new IpcProtocolException(ProtocolError.BadPayload, $"The server named an unexpected segment file '{name}'.");
        return MapFile(name, ringSize, isServer: false);
    }

    /// <summary>Both sides have it mapped (or the rendezvous failed): from here on only the mappings exist.</summary>
    public override void Unpublish(Segment segment) => BestEffortFile.TryDelete(segment.Name);

    /// <summary>Maps the segment file at <paramref name="path"/> with futex signals on its wait words.</summary>
    internal static Segment MapFile(string path, int ringSize, bool isServer)
    {
        var size = SegmentLayout.SegmentSize(ringSize);
        var map = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, size, MemoryMappedFileAccess.ReadWrite);
        return Segment.Map(map, path, ringSize, isServer, Segment.FutexSignals);
    }

    /// <summary>Deletes segment files of ours whose creating process no longer exists (left by a kill -9).</summary>
    internal static int RemoveOrphanedSegments()
    {
        var removed = 0;
        var mine = $"{FilePrefix}{Environment.UserName}-";
        try
        {
            foreach (var file in Directory.EnumerateFiles(SegmentDirectory, mine + "*"))
            {
                var rest = Path.GetFileName(file)[mine.Length..];
                var dash = rest.IndexOf('-');
                if (dash <= 0 || !int.TryParse(rest.AsSpan(0, dash), out var pid) || ProcessIsAlive(pid)) continue;
                if (BestEffortFile.TryDelete(file)) removed++;
            }
        }
        catch (DirectoryNotFoundException) { }
        return removed;
    }

    private static bool ProcessIsAlive(int pid) => pid == Environment.ProcessId || Directory.Exists($"/proc/{pid}");
}
