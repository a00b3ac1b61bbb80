using System.Runtime.InteropServices;

namespace IpcContracts.Transports.Pipe;

/// <summary>
/// Decides whether the per-user socket directory may be trusted. It lives in a directory every user may create
/// names in (the temp directory when XDG_RUNTIME_DIR is unset), so another user can create it first; then that user
/// could delete or replace our sockets. It is used only when it is a real directory (not a symbolic link, which its
/// owner could re-point after the check), owned by this process's effective user, with no write bit for group or
/// others. Read and search bits for others are allowed: every socket in it is created 0600 anyway, and loosening
/// the directory on purpose (for <see cref="IpcOptions.AllowedPeerUserIds"/>) must keep working.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
internal static partial class SocketDirectoryCheck
{
    private const int AtFdCwd = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const uint StatxType = 0x1, StatxMode = 0x2, StatxUid = 0x8;
    private const int FileTypeMask = 0xF000, Directory = 0x4000, SymbolicLink = 0xA000;
    private const int GroupOrOtherWrite = 0x12; // 0o022
    private const int NoSuchEntry = 2; // ENOENT

    /// <summary>
    /// False when nothing exists at <paramref name="directory"/>; true when it is safe; otherwise throws
    /// <see cref="UnsafeSocketDirectoryException"/>.
    /// </summary>
    public static bool EnsureSafe(string directory)
    {
        if (Read(directory) is not var (type, mode, owner, ownedByOther)) return false;
        var me = PeerCredentials.CurrentUserId;
        var problems = new List<string>();
        if (type == SymbolicLink) problems.Add("it is a symbolic link, which its owner can re-point after any check");
        else if (type != Directory) problems.Add("it is not a directory");
        if (owner is { } o && me is { } m && o != m) problems.Add($"its owner is not this process's user ({m})");
        else if (ownedByOther) problems.Add("its owner is not this process's user (it refused a chmod, which only its owner may do)");
        if (type != SymbolicLink && (mode & GroupOrOtherWrite) != 0)
            problems.Add("group or others may write to it, so they could delete or replace the sockets in it");
        if (problems.Count == 0) return true;
        throw new UnsafeSocketDirectoryException(
            $"Refusing to use the socket directory {directory} (owner {(owner is { } ou ? $"user {ou}" : "unknown")}, mode {Octal(mode)}): " +
            $"{string.Join("; ", problems)}. Another user may have created it to interfere with this one. Remove it (rm -r '{directory}') " +
            $"so it is created again owner-only (0700), or make it a real directory owned by user {(me is { } uid ? $"{uid}" : "of this process")} " +
            "without group/other write (chmod 0700), or point XDG_RUNTIME_DIR at a private directory, or name the socket by a full path " +
            "(pipe:///path/to/name.sock) in a directory you control.",
            directory, owner, (UnixFileMode)(mode & 0xFFF));
    }

    private static string Octal(int mode) => Convert.ToString(mode & 0xFFF, 8).PadLeft(4, '0');

    /// <summary>
    /// File type bits, permission bits and owner, without following a symbolic link; null when nothing is there. Linux
    /// reads the owner with statx. Elsewhere (macOS) managed code cannot read an owner, so a directory is asked to take its
    /// own mode again (a no-op chmod): only its owner (or root) may chmod, so a refusal means another user owns it.
    /// </summary>
    private static (int Type, int Mode, uint? Owner, bool OwnedByOther)? Read(string path)
    {
        if (OperatingSystem.IsLinux())
        {
            try
            {
                if (Statx(AtFdCwd, path, AtSymlinkNoFollow, StatxType | StatxMode | StatxUid, out var stat) == 0)
                    return (stat.Mode & FileTypeMask, stat.Mode & 0xFFF, stat.Uid, false);
                if (Marshal.GetLastPInvokeError() == NoSuchEntry) return null;
                throw new IpcException($"Cannot inspect the socket directory {path}: {Marshal.GetLastPInvokeErrorMessage()}");
            }
            catch (EntryPointNotFoundException)
            {
                // A C library without statx (glibc before 2.28): fall through and check what managed code can see.
            }
        }
        var info = new DirectoryInfo(path);
        if (info.LinkTarget is not null) return (SymbolicLink, 0, null, false);
        if (!info.Exists) return File.Exists(path) ? (0, (int)File.GetUnixFileMode(path), null, false) : null;
        var mode = File.GetUnixFileMode(path);
        var ownedByOther = false;
        try { File.SetUnixFileMode(path, mode); }
        catch (UnauthorizedAccessException) { ownedByOther = true; }
        catch (IOException) { } // e.g. a read-only file system: the owner stays unknown
        return (Directory, (int)mode, null, ownedByOther);
    }

    // struct statx from <linux/stat.h>: the same layout on every architecture (unlike struct stat), 256 bytes.
    [StructLayout(LayoutKind.Sequential, Size = 256)]
    private struct StatxBuffer
    {
        public uint Mask;
        public uint BlockSize;
        public ulong Attributes;
        public uint Links;
        public uint Uid;
        public uint Gid;
        public ushort Mode;
    }

    [LibraryImport("libc", EntryPoint = "statx", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Statx(int directoryFd, string path, int flags, uint mask, out StatxBuffer buffer);
}
