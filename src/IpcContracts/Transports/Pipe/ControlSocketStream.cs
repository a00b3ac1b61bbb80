using System.Net.Sockets;

namespace IpcContracts.Transports.Pipe;

/// <summary>
/// The control channel of <c>shm://</c> over a Unix socket. Closing it shuts the socket down first, so the peer sees the
/// end at once even while this side still has a receive pending on it.
/// </summary>
internal sealed class ControlSocketStream(Socket socket) : NetworkStream(socket, ownsSocket: true)
{
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            try { Socket.Shutdown(SocketShutdown.Both); } catch (SocketException) { } catch (ObjectDisposedException) { }
        }
        base.Dispose(disposing);
    }
}
