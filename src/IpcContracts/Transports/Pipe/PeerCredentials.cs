using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace IpcContracts.Transports.Pipe;

/// <summary>
/// Who is on the other end of a Unix domain socket: SO_PEERCRED on Linux, getpeereid on macOS (and the BSDs). Servers
/// accept only their own user by default (<see cref="IpcOptions.AllowedPeerUserIds"/> widens that); clients check the
/// server too. A peer whose user cannot be read is refused.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
internal static partial class PeerCredentials
{
    private const int SolSocket = 1;
    private const int SoPeerCred = 17;

    /// <summary>The effective user ID of this process.</summary>
    public static uint? CurrentUserId { get; } = GetEffectiveUserId();

    /// <summary>The peer's effective user ID, or null when the system cannot say.</summary>
    public static uint? GetPeerUserId(Socket socket)
    {
        if (OperatingSystem.IsLinux())
        {
            Span<byte> ucred = stackalloc byte[12]; // pid, uid, gid
            var length = socket.GetRawSocketOption(SolSocket, SoPeerCred, ucred);
            return length >= 8 ? MemoryMarshal.Read<uint>(ucred[4..]) : null;
        }
        return GetPeerEffectiveId((int)socket.Handle, out var uid, out _) == 0 ? uid : null;
    }

    /// <summary>Throws <see cref="IpcAuthenticationException"/> when the peer's user is not allowed.</summary>
    public static void Check(Socket socket, IpcOptions options, string role)
    {
        if (options.AllowAnyLocalUser) return;
        var peer = GetPeerUserId(socket)
            ?? throw new IpcAuthenticationException($"Refusing the {role}: the system does not say which user it runs as ({Marshal.GetLastPInvokeErrorMessage()}).");
        if (peer == CurrentUserId || options.AllowedPeerUserIds.Contains(peer)) return;
        throw new IpcAuthenticationException(
            $"The {role} runs as user {peer}, which is not this process's user ({CurrentUserId}) nor in IpcOptions.AllowedPeerUserIds.");
    }

    [LibraryImport("libc", EntryPoint = "geteuid")]
    private static partial uint GetEffectiveUserId();

    [LibraryImport("libc", EntryPoint = "getpeereid", SetLastError = true)]
    private static partial int GetPeerEffectiveId(int socket, out uint userId, out uint groupId);
}
