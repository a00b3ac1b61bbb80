using System.Net.Sockets;
using System.Threading.Channels;

namespace IpcContracts.Transports.Streams;

/// <summary>
/// Accepts sockets in a loop and establishes each one (peer check, authentication, rendezvous) on its
/// own task with the handshake timeout, so a slow or hostile client never delays anyone else's accept.
/// Established connections come out of <see cref="AcceptAsync"/>; failed ones are reported and dropped.
/// </summary>
internal sealed class EstablishingListener : IIpcListener
{
    private readonly Socket _socket;
    private readonly Func<Socket, CancellationToken, Task<ITransportConnection>> _establish;
    private readonly IpcOptions _options;
    private readonly Action? _onDispose;
    private readonly Channel<ITransportConnection> _ready = Channel.CreateUnbounded<ITransportConnection>();
    private readonly CancellationTokenSource _closing = new();
    private readonly Task _loop;
    private int _disposed;

    public EstablishingListener(Socket socket, IpcEndpoint endpoint, IpcOptions options,
        Func<Socket, CancellationToken, Task<ITransportConnection>> establish, Action? onDispose = null)
    {
        _socket = socket;
        Endpoint = endpoint;
        _options = options;
        _establish = establish;
        _onDispose = onDispose;
        _loop = Task.Run(AcceptLoopAsync);
    }

    public IpcEndpoint Endpoint { get; }

    private async Task AcceptLoopAsync()
    {
        while (!_closing.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _socket.AcceptAsync(_closing.Token).ConfigureAwait(false);
            }
            catch (Exception) when (_closing.IsCancellationRequested)
            {
                break;
            }
            catch (SocketException e)
            {
                // E.g. out of descriptors: report, back off, keep serving.
                _options.ReportSecurityEvent($"accept on {Endpoint} failed: {e.Message}");
                try { await Task.Delay(50, _closing.Token).ConfigureAwait(false); } catch (OperationCanceledException) { break; }
                continue;
            }
            _ = Task.Run(() => EstablishAsync(client));
        }
        _ready.Writer.TryComplete();
    }

    private async Task EstablishAsync(Socket client)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_closing.Token);
        timeout.CancelAfter(_options.HandshakeTimeout);
        try
        {
            var connection = await _establish(client, timeout.Token).ConfigureAwait(false);
            if (!_ready.Writer.TryWrite(connection)) await connection.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception e)
        {
            client.Dispose();
            if (!_closing.IsCancellationRequested)
                _options.ReportSecurityEvent($"a connection to {Endpoint} was refused: {(e is OperationCanceledException ? "it did not complete its setup in time" : e.Message)}");
        }
    }

    public async ValueTask<ITransportConnection> AcceptAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await _ready.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException e)
        {
            throw new OperationCanceledException("The listener was closed.", e);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _closing.Cancel();
        _socket.Dispose();
        try { await _loop.ConfigureAwait(false); } catch { }
        while (_ready.Reader.TryRead(out var left)) await left.DisposeAsync().ConfigureAwait(false);
        _onDispose?.Invoke();
        _closing.Dispose();
    }
}
