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
    /// <summary>
    /// Connects <paramref name="create"/>'s socket to <paramref name="target"/>, then runs <paramref name="afterConnect"/>;
    /// with <paramref name="blockingConnect"/> (the connection will read on a thread of its own, <see cref="DedicatedReader"/>)
    /// through the blocking call (<see cref="ConnectBlockingAsync"/>).
    /// </summary>
    public static async Task<Socket> ConnectAsync(IpcEndpoint endpoint, IpcOptions options, Func<Socket> create, EndPoint target,
        Func<Socket, CancellationToken, Task>? afterConnect, bool blockingConnect, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(options.ConnectTimeout);
        var socket = create();
        try
        {
            if (blockingConnect) await ConnectBlockingAsync(socket, target, deadline.Token).ConfigureAwait(false);
            else await socket.ConnectAsync(target, deadline.Token).ConfigureAwait(false);
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

    /// <summary>
    /// Connects with the blocking system call, on a pool thread, for a connection with a dedicated reader
    /// (<see cref="IpcOptions.DedicatedReaderThread"/>). A TCP connect that does not finish at once, made asynchronously,
    /// registers the socket with the sockets' event thread for good: every message received afterwards also woke that
    /// thread and a pool worker, for no operation (counts: 0.9 epoll wake-ups and 0.8 work items per round trip on the
    /// client, none on the server, whose accepted socket was never registered). The wait stays bounded: at the deadline
    /// the caller disposes the socket, which ends the blocked connect.
    /// </summary>
    private static async Task ConnectBlockingAsync(Socket socket, EndPoint target, CancellationToken deadline)
    {
        var connect = Task.Run(() => socket.Connect(target), CancellationToken.None);
        try
        {
            await connect.WaitAsync(deadline).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The connect fails once the caller disposes the socket: observe it, nobody else will.
            _ = connect.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
            throw;
        }
    }
}
