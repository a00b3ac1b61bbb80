namespace IpcContracts.Transports;

/// <summary>Removing files this library made (socket files, segment files) where a failure must not stop the caller.</summary>
internal static class BestEffortFile
{
    /// <summary>
    /// Deletes <paramref name="path"/>; false if it could not (in use, or the directory does not let us). Cleanup runs on
    /// close and dispose paths, which must finish whatever the file system says; what is left is found again later (a
    /// stale socket is replaced by the next server, an orphaned segment by <c>RemoveOrphanedSegments</c>).
    /// </summary>
    public static bool TryDelete(string path)
    {
        try
        {
            File.Delete(path);
            return true;
        }
        catch (IOException) { return false; }
        catch (UnauthorizedAccessException) { return false; }
    }
}
