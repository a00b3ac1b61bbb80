using System.Net;
using System.Net.Sockets;
using IpcContracts.Transports.Streams;

namespace IpcContracts.Transports.Tcp;

/// <summary>
/// <c>tcp://HOST:PORT</c>: one persistent TCP connection per client, Nagle off. Listening is loopback-only
/// unless <see cref="TcpOptions.AllowNonLoopback"/> is set. Port 0 binds a free port; the server's
/// <see cref="IIpcListener.Endpoint"/> reports the one chosen.
/// </summary>
public sealed class TcpTransport : IIpcTransport
{
    /// <inheritdoc />
    public string Scheme => "tcp";

    /// <inheritdoc />
    public async ValueTask<IIpcListener> ListenAsync(IpcEndpoint endpoint, IpcOptions options, CancellationToken cancellationToken)
    {
        var (host, port) = Parse(endpoint);
        var addresses = await ResolveAsync(host, cancellationToken).ConfigureAwait(false);
        var address = addresses[0];
        if (!IPAddress.IsLoopback(address))
        {
            if (!options.Tcp.AllowNonLoopback)
                throw new IpcConfigurationException(
                    $"Refusing to listen on {endpoint}: {address} is not a loopback address. Set IpcOptions.Tcp.AllowNonLoopback = true to listen beyond this machine.");
            if (options.Tcp.SharedSecret is not { Length: > 0 })
                throw new IpcConfigurationException(
                    $"Refusing to listen on {endpoint} without authentication: set IpcOptions.Tcp.SharedSecret (both sides) to listen beyond loopback.");
        }
        var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.NoDelay = true;
            socket.Bind(new IPEndPoint(address, port));
            socket.Listen(512);
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            socket.Dispose();
            throw new EndpointInUseException(endpoint.ToString(), $"port {port} is taken", e);
        }
        catch (SocketException e)
        {
            socket.Dispose();
            throw new IpcException($"Cannot listen on {endpoint}: {e.Message}", e);
        }
        var bound = (IPEndPoint)socket.LocalEndPoint!;
        var boundHost = bound.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{bound.Address}]" : bound.Address.ToString();
        var boundEndpoint = new IpcEndpoint("tcp", $"{boundHost}:{bound.Port}");
        var secret = options.Tcp.SharedSecret;
        return new EstablishingListener<Socket>(socket.AcceptAsync, socket, boundEndpoint, options, async (client, ct) =>
        {
            client.NoDelay = true;
            var peer = $"tcp://{client.RemoteEndPoint}";
            // Decided before the handshake: a socket that a thread of its own will read is never waited on asynchronously.
            var reader = DedicatedReader.For(options);
            try
            {
                if (secret is { Length: > 0 }) await SharedSecretHandshake.ServerAsync(client, secret, withoutEventThread: reader is not null, ct).ConfigureAwait(false);
            }
            catch
            {
                reader?.Release();
                throw;
            }
            return new SocketTransportConnection(client, peer, dedicatedReader: reader);
        });
    }

    /// <inheritdoc />
    public async ValueTask<ITransportConnection> ConnectAsync(IpcEndpoint endpoint, IpcOptions options, CancellationToken cancellationToken)
    {
        var (host, port) = Parse(endpoint);
        if (port == 0) throw new IpcConfigurationException($"Cannot connect to {endpoint}: port 0 only means 'any free port' when listening.");
        var addresses = await ResolveAsync(host, cancellationToken).ConfigureAwait(false);
        var reader = DedicatedReader.For(options);
        Socket socket;
        try
        {
            socket = await SocketConnector.ConnectAsync(endpoint, options,
                () => new Socket(addresses[0].AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true },
                new IPEndPoint(addresses[0], port),
                async (connected, ct) =>
                {
                    if (options.Tcp.SharedSecret is not { Length: > 0 } secret) return;
                    using var handshake = CancellationTokenSource.CreateLinkedTokenSource(ct);
                    handshake.CancelAfter(options.HandshakeTimeout);
                    await SharedSecretHandshake.ClientAsync(connected, secret, endpoint.ToString(), withoutEventThread: reader is not null, handshake.Token).ConfigureAwait(false);
                },
                blockingConnect: reader is not null, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            reader?.Release();
            throw;
        }
        return new SocketTransportConnection(socket, endpoint.ToString(), dedicatedReader: reader);
    }

    private static (string Host, int Port) Parse(IpcEndpoint endpoint)
    {
        var address = endpoint.Address.TrimEnd('/');
        var colon = address.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(address.AsSpan(colon + 1), out var port) || port is < 0 or > 65535)
            throw new IpcConfigurationException($"'{endpoint}' is not a TCP endpoint. Use tcp://HOST:PORT, e.g. tcp://127.0.0.1:5000 (port 0 = any free port).");
        return (address[..colon].Trim('[', ']'), port);
    }

    private static async Task<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken)
    {
        if (IPAddress.TryParse(host, out var ip)) return [ip];
        try
        {
            var found = await Dns.GetHostAddressesAsync(host, cancellationToken).ConfigureAwait(false);
            // Prefer IPv4 loopback-style answers first; "localhost" resolves to both families.
            var ordered = found.OrderBy(a => a.AddressFamily == AddressFamily.InterNetwork ? 0 : 1).ToArray();
            return ordered.Length > 0 ? ordered : throw new IpcConfigurationException($"Host '{host}' has no addresses.");
        }
        catch (SocketException e)
        {
            throw new IpcConfigurationException($"Cannot resolve host '{host}': {e.Message}", e);
        }
    }
}
