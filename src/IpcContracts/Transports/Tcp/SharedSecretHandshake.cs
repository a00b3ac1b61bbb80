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
internal static class SharedSecretHandshake
{
    private static ReadOnlySpan<byte> Magic => "IPCAUTH1"u8;
    private const int NonceSize = 32;
    private const int MacSize = 32;

    public static async Task ServerAsync(Socket socket, byte[] secret, CancellationToken cancellationToken)
    {
        var serverNonce = RandomNumberGenerator.GetBytes(NonceSize);
        var hello = new byte[Magic.Length + NonceSize];
        Magic.CopyTo(hello);
        serverNonce.CopyTo(hello, Magic.Length);
        await socket.SendAsync(hello, SocketFlags.None, cancellationToken).ConfigureAwait(false);

        var answer = new byte[NonceSize + MacSize];
        if (!await ReceiveExactlyAsync(socket, answer, cancellationToken).ConfigureAwait(false))
            throw new IpcAuthenticationException("A TCP client closed the connection during the shared-secret handshake.");
        var clientNonce = answer.AsSpan(0, NonceSize).ToArray();
        var expected = Mac(secret, "client"u8, serverNonce, clientNonce);
        if (!CryptographicOperations.FixedTimeEquals(expected, answer.AsSpan(NonceSize)))
            throw new IpcAuthenticationException("A TCP client failed the shared-secret handshake.");
        await socket.SendAsync(Mac(secret, "server"u8, clientNonce, serverNonce), SocketFlags.None, cancellationToken).ConfigureAwait(false);
    }

    public static async Task ClientAsync(Socket socket, byte[] secret, string endpoint, CancellationToken cancellationToken)
    {
        var hello = new byte[Magic.Length + NonceSize];
        if (!await ReceiveExactlyAsync(socket, hello, cancellationToken).ConfigureAwait(false))
            throw new IpcAuthenticationException($"The server at {endpoint} closed the connection before its shared-secret challenge " +
                "(it may have IpcOptions.MaxConnections connections in their setup already; try again later).");
        if (!hello.AsSpan(0, Magic.Length).SequenceEqual(Magic))
            throw new IpcAuthenticationException($"The server at {endpoint} did not start a shared-secret handshake (it has no IpcOptions.Tcp.SharedSecret, or is not an IpcContracts server).");
        var serverNonce = hello.AsSpan(Magic.Length).ToArray();
        var clientNonce = RandomNumberGenerator.GetBytes(NonceSize);
        var answer = new byte[NonceSize + MacSize];
        clientNonce.CopyTo(answer, 0);
        Mac(secret, "client"u8, serverNonce, clientNonce).CopyTo(answer, NonceSize);
        await socket.SendAsync(answer, SocketFlags.None, cancellationToken).ConfigureAwait(false);

        var proof = new byte[MacSize];
        if (!await ReceiveExactlyAsync(socket, proof, cancellationToken).ConfigureAwait(false))
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

    private static async Task<bool> ReceiveExactlyAsync(Socket socket, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        while (!buffer.IsEmpty)
        {
            int n;
            try
            {
                n = await socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken).ConfigureAwait(false);
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
}
