using System.Net;
using System.Net.Sockets;

namespace IpcContracts.Transports.Streams;

/// <summary>
/// Connects a socket once, bounded by <see cref="IpcOptions.ConnectTimeout"/>, then runs the after-connect step (peer
/// checks, authentication). Nothing listening is <see cref="NoServerListeningException"/> at once: waiting for a
/// server that is still starting is <see cref="IpcClient"/>'s choice (<see cref="IpcOptions.WaitForServer"/>), the
/// same for every transport. Every failure disposes the socket and ends in a clear exception naming
/// the endpoint the caller asked for.
/// </summary>
internal static class SocketConnector
{
    public static async Task<Socket> ConnectAsync(IpcEndpoint endpoint, IpcOptions options, Func<Socket> create, EndPoint target,
        Func<Socket, CancellationToken, Task>? afterConnect, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(options.ConnectTimeout);
        var socket = create();
        try
        {
            await socket.ConnectAsync(target, deadline.Token).ConfigureAwait(false);
            if (afterConnect is not null) await afterConnect(socket, cancellationToken).ConfigureAwait(false);
            return socket;
        }
        // A Unix socket path that does not exist reads as AddressNotAvailable (ENOENT), a stale one as ConnectionRefused.
        catch (SocketException e) when (e.SocketErrorCode is SocketError.AddressNotAvailable or SocketError.ConnectionRefused)
        {
            socket.Dispose();
            throw new NoServerListeningException(endpoint.ToString(), inner: e);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            socket.Dispose();
            throw new ChannelFaultedException($"Connecting to {endpoint} timed out after {options.ConnectTimeout.TotalSeconds:0.#} s.");
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
