using System.Net.Sockets;
using System.Security.Cryptography;

namespace IpcContracts.Transports.Tcp;

/// <summary>
/// Mutual proof of a shared secret before the Hello, on a fresh TCP connection (docs/protocol.md section 8.3):
/// server sends "IPCAUTH1" and a 32-byte nonce; the client answers its own nonce and
/// HMAC-SHA256(secret, "client" | server nonce | client nonce); the server checks it in constant time,
/// then proves itself with HMAC-SHA256(secret, "server" | client nonce | server nonce). "|" is plain byte
/// concatenation (no separators, no lengths); the key is the secret's bytes as given. A failed check
/// closes the connection without a reason, so a guesser learns nothing.
/// </summary>
/// <remarks>
/// With <c>withoutEventThread</c> (a connection that a thread of its own will read, <see cref="Streams.DedicatedReader"/>)
/// the handshake never waits through an asynchronous socket operation: one that waits registers the socket with the
/// sockets' event thread for good, and from then on every frame received also woke that thread and a pool worker for
/// nothing (what <see cref="Streams.PollingSocketWriter"/> avoids for sends). It uses non-blocking calls instead and sleeps
/// between them (1 ms, doubling up to 16 ms, under the handshake's token): a few milliseconds more per connect, no thread
/// held while a peer takes its time.
/// </remarks>
internal static class SharedSecretHandshake
{
    private static ReadOnlySpan<byte> Magic => "IPCAUTH1"u8;
    private const int NonceSize = 32;
    private const int MacSize = 32;

    public static Task ServerAsync(Socket socket, byte[] secret, bool withoutEventThread, CancellationToken cancellationToken) =>
        InSocketModeAsync(socket, withoutEventThread, () => ServerStepsAsync(socket, secret, withoutEventThread, cancellationToken));

    public static Task ClientAsync(Socket socket, byte[] secret, string endpoint, bool withoutEventThread, CancellationToken cancellationToken) =>
        InSocketModeAsync(socket, withoutEventThread, () => ClientStepsAsync(socket, secret, endpoint, withoutEventThread, cancellationToken));

    /// <summary>
    /// Runs one side's steps; <paramref name="withoutEventThread"/> makes the socket non-blocking for them and blocking
    /// again after, success or not: a NetworkStream is only made over a blocking socket (the connection then sets it
    /// non-blocking again itself).
    /// </summary>
    private static async Task InSocketModeAsync(Socket socket, bool withoutEventThread, Func<Task> steps)
    {
        try
        {
            if (withoutEventThread) socket.Blocking = false;
            await steps().ConfigureAwait(false);
        }
        finally
        {
            if (withoutEventThread) RestoreBlocking(socket);
        }
    }

    private static async Task ServerStepsAsync(Socket socket, byte[] secret, bool withoutEventThread, CancellationToken cancellationToken)
    {
        var serverNonce = RandomNumberGenerator.GetBytes(NonceSize);
        var hello = new byte[Magic.Length + NonceSize];
        Magic.CopyTo(hello);
        serverNonce.CopyTo(hello, Magic.Length);
        await SendAsync(socket, hello, withoutEventThread, cancellationToken).ConfigureAwait(false);

        var answer = new byte[NonceSize + MacSize];
        if (!await ReceiveExactlyAsync(socket, answer, withoutEventThread, cancellationToken).ConfigureAwait(false))
            throw new IpcAuthenticationException("A TCP client closed the connection during the shared-secret handshake.");
        var clientNonce = answer.AsSpan(0, NonceSize).ToArray();
        var expected = Mac(secret, "client"u8, serverNonce, clientNonce);
        if (!CryptographicOperations.FixedTimeEquals(expected, answer.AsSpan(NonceSize)))
            throw new IpcAuthenticationException("A TCP client failed the shared-secret handshake.");
        await SendAsync(socket, Mac(secret, "server"u8, clientNonce, serverNonce), withoutEventThread, cancellationToken).ConfigureAwait(false);
    }

    private static async Task ClientStepsAsync(Socket socket, byte[] secret, string endpoint, bool withoutEventThread, CancellationToken cancellationToken)
    {
        var hello = new byte[Magic.Length + NonceSize];
        if (!await ReceiveExactlyAsync(socket, hello, withoutEventThread, cancellationToken).ConfigureAwait(false))
            throw new IpcAuthenticationException($"The server at {endpoint} closed the connection before its shared-secret challenge " +
                "(it may have IpcOptions.MaxConnections connections in their setup already; try again later).");
        if (!hello.AsSpan(0, Magic.Length).SequenceEqual(Magic))
            throw new IpcAuthenticationException($"The server at {endpoint} did not start a shared-secret handshake (it has no IpcOptions.Tcp.SharedSecret, or is not an IpcContracts server).");
        var serverNonce = hello.AsSpan(Magic.Length).ToArray();
        var clientNonce = RandomNumberGenerator.GetBytes(NonceSize);
        var answer = new byte[NonceSize + MacSize];
        clientNonce.CopyTo(answer, 0);
        Mac(secret, "client"u8, serverNonce, clientNonce).CopyTo(answer, NonceSize);
        await SendAsync(socket, answer, withoutEventThread, cancellationToken).ConfigureAwait(false);

        var proof = new byte[MacSize];
        if (!await ReceiveExactlyAsync(socket, proof, withoutEventThread, cancellationToken).ConfigureAwait(false))
            throw new IpcAuthenticationException($"The server at {endpoint} refused the connection (wrong shared secret?).");
        if (!CryptographicOperations.FixedTimeEquals(Mac(secret, "server"u8, clientNonce, serverNonce), proof))
            throw new IpcAuthenticationException($"The server at {endpoint} did not prove it knows the shared secret.");
    }

    private static byte[] Mac(byte[] secret, ReadOnlySpan<byte> role, ReadOnlySpan<byte> first, ReadOnlySpan<byte> second)
    {
        Span<byte> message = stackalloc byte[role.Length + first.Length + second.Length];
        role.CopyTo(message);
        first.CopyTo(message[role.Length..]);
        second.CopyTo(message[(role.Length + first.Length)..]);
        return HMACSHA256.HashData(secret, message);
    }

    private static async Task<bool> ReceiveExactlyAsync(Socket socket, Memory<byte> buffer, bool withoutEventThread, CancellationToken cancellationToken)
    {
        var sleepMs = 1;
        while (!buffer.IsEmpty)
        {
            int n;
            try
            {
                if (!withoutEventThread)
                {
                    n = await socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    n = socket.Receive(buffer.Span, SocketFlags.None, out var error);
                    if (error == SocketError.WouldBlock)
                    {
                        sleepMs = await SleepAsync(sleepMs, cancellationToken).ConfigureAwait(false);
                        continue;
                    }
                    if (error != SocketError.Success) return false;
                }
            }
            catch (SocketException)
            {
                return false;
            }
            if (n == 0) return false;
            buffer = buffer[n..];
        }
        return true;
    }

    private static async Task SendAsync(Socket socket, ReadOnlyMemory<byte> data, bool withoutEventThread, CancellationToken cancellationToken)
    {
        if (!withoutEventThread)
        {
            await socket.SendAsync(data, SocketFlags.None, cancellationToken).ConfigureAwait(false);
            return;
        }
        var sleepMs = 1;
        while (!data.IsEmpty)
        {
            var n = socket.Send(data.Span, SocketFlags.None, out var error);
            if (error == SocketError.WouldBlock)
            {
                sleepMs = await SleepAsync(sleepMs, cancellationToken).ConfigureAwait(false);
                continue;
            }
            if (error != SocketError.Success) throw new SocketException((int)error);
            data = data[n..];
        }
    }

    private static void RestoreBlocking(Socket socket)
    {
        try { socket.Blocking = true; }
        catch (ObjectDisposedException) { }
        catch (SocketException) { }
    }

    /// <summary>Sleeps <paramref name="ms"/> (under the handshake's token) and returns the next sleep: twice as long, at most 16 ms.</summary>
    private static async Task<int> SleepAsync(int ms, CancellationToken cancellationToken)
    {
        await Task.Delay(ms, cancellationToken).ConfigureAwait(false);
        return Math.Min(ms * 2, 16);
    }
}
