using System.Net;
using System.Net.Sockets;

namespace IpcContracts.Transports.Streams;

/// <summary>
/// Connects a socket, retrying with backoff while nobody listens yet (the server may still be starting)
/// until <see cref="IpcOptions.ConnectTimeout"/>, then runs the after-connect step (peer checks,
/// authentication). Every failure disposes the socket and ends in a clear exception.
/// </summary>
internal static class SocketConnector
{
    public static async Task<Socket> ConnectAsync(IpcEndpoint endpoint, IpcOptions options, Func<Socket> create, EndPoint target,
        Func<Socket, CancellationToken, Task>? afterConnect, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(options.ConnectTimeout);
        var delay = 10;
        while (true)
        {
            var socket = create();
            try
            {
                await socket.ConnectAsync(target, deadline.Token).ConfigureAwait(false);
                if (afterConnect is not null) await afterConnect(socket, cancellationToken).ConfigureAwait(false);
                return socket;
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.AddressNotAvailable or SocketError.ConnectionRefused)
            {
                socket.Dispose();
                try { await Task.Delay(delay, deadline.Token).ConfigureAwait(false); }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    throw new ChannelFaultedException($"No server is listening on {endpoint}; gave up after {options.ConnectTimeout.TotalSeconds:0.#} s.", e);
                }
                delay = Math.Min(delay * 2, 200);
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
}
