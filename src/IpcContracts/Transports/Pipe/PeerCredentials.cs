using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace IpcContracts.Transports.Pipe;

/// <summary>
/// Who is on the other end of a Unix domain socket (SO_PEERCRED, Linux). Servers accept only their own
/// user by default (<see cref="IpcOptions.AllowedPeerUserIds"/> widens that); clients check the server too.
/// </summary>
internal static partial class PeerCredentials
{
    private const int SolSocket = 1;
    private const int SoPeerCred = 17;

    /// <summary>The effective user ID of this process, or null where it cannot be read.</summary>
    public static uint? CurrentUserId { get; } = OperatingSystem.IsLinux() ? GetEffectiveUserId() : null;

    /// <summary>The peer's user ID, or null where the platform has no SO_PEERCRED.</summary>
    public static uint? GetPeerUserId(Socket socket)
    {
        if (!OperatingSystem.IsLinux()) return null;
        Span<byte> ucred = stackalloc byte[12]; // pid, uid, gid
        var length = socket.GetRawSocketOption(SolSocket, SoPeerCred, ucred);
        return length >= 8 ? MemoryMarshal.Read<uint>(ucred[4..]) : null;
    }

    /// <summary>Throws <see cref="IpcAuthenticationException"/> when the peer's user is not allowed.</summary>
    public static void Check(Socket socket, IpcOptions options, string role)
    {
        if (options.AllowAnyLocalUser) return;
        var peer = GetPeerUserId(socket);
        if (peer is null || CurrentUserId is null) return; // no SO_PEERCRED here: the 0600 socket file is the guard
        if (peer == CurrentUserId || options.AllowedPeerUserIds.Contains(peer.Value)) return;
        throw new IpcAuthenticationException(
            $"The {role} runs as user {peer}, which is not this process's user ({CurrentUserId}) nor in IpcOptions.AllowedPeerUserIds.");
    }

    [LibraryImport("libc", EntryPoint = "geteuid")]
    private static partial uint GetEffectiveUserId();
}
