namespace IpcContracts;

/// <summary>
/// The per-user directory that holds <c>pipe://NAME</c> and <c>shm://NAME</c> sockets exists but is not safe: it is
/// owned by another user, group or others may write to it, or it is a symbolic link. Another user could then delete
/// or replace the sockets in it, so neither a server nor a client uses it. The message names the directory, what was
/// found and how to fix it (docs/security.md).
/// </summary>
public sealed class UnsafeSocketDirectoryException : IpcException
{
    /// <summary>Creates the exception.</summary>
    public UnsafeSocketDirectoryException(string message, string directoryPath, uint? ownerUserId, UnixFileMode mode) : base(message)
    {
        DirectoryPath = directoryPath;
        OwnerUserId = ownerUserId;
        Mode = mode;
    }

    /// <summary>The directory that was refused.</summary>
    public string DirectoryPath { get; }

    /// <summary>The user ID that owns it, or null where it could not be read.</summary>
    public uint? OwnerUserId { get; }

    /// <summary>Its permission bits as found.</summary>
    public UnixFileMode Mode { get; }
}
