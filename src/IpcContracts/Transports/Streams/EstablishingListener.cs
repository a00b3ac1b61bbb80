using System.Net.Sockets;
using System.Threading.Channels;

namespace IpcContracts.Transports.Streams;

/// <summary>
/// Accepts raw connections (a socket, a Windows named-pipe instance) in a loop and establishes each one (peer check,
/// authentication, rendezvous) on its own task with the handshake timeout, so a slow or hostile client never delays
/// anyone else's accept. Established connections come out of <see cref="AcceptAsync"/>; failed ones are reported and dropped.
/// </summary>
/// <typeparam name="TClient">What the accept step hands over; disposed when its setup fails.</typeparam>
/// <remarks>
/// At most <see cref="IpcOptions.MaxConnections"/> sockets are in their setup at once. Before the setup a
/// peer has proved nothing (a TCP client has not shown it knows the shared secret), so without this cap
/// anyone who can reach the port could hold a descriptor per socket for the whole handshake timeout. A
/// socket accepted past the cap is closed at once, in the accept loop, without waiting for a slot.
/// </remarks>
internal sealed class EstablishingListener<TClient> : IIpcListener where TClient : IDisposable
{
    private readonly Func<CancellationToken, ValueTask<TClient>> _accept;
    private readonly IDisposable _listening;
    private readonly Func<TClient, CancellationToken, Task<ITransportConnection>> _establish;
    private readonly IpcOptions _options;
    private readonly Action? _onDispose;
    private readonly Channel<ITransportConnection> _ready = Channel.CreateUnbounded<ITransportConnection>();
    private readonly CancellationTokenSource _closing = new();
    private readonly Task _loop;
    private readonly int _maxEstablishing;
    private int _establishing; // sockets accepted whose setup has not ended yet
    private int _turnedAway;   // sockets closed at the cap since the last report (one report per burst, not per socket)
    private int _disposed;

    /// <param name="accept">Waits for the next raw connection; throws <see cref="SocketException"/> or <see cref="IOException"/> for a
    /// failure worth reporting and retrying, anything once <paramref name="listening"/> is disposed.</param>
    /// <param name="listening">What listens (the socket, the waiting pipe instance); disposed first on close to end a pending accept.</param>
    /// <param name="endpoint">The endpoint reported as bound and named in security events.</param>
    /// <param name="options">Handshake timeout, connection cap and where security events go.</param>
    /// <param name="establish">The setup of one accepted connection (peer check, authentication, rendezvous).</param>
    /// <param name="onDispose">Runs once the listener is closed (e.g. removes a socket file).</param>
    public EstablishingListener(Func<CancellationToken, ValueTask<TClient>> accept, IDisposable listening, IpcEndpoint endpoint, IpcOptions options,
        Func<TClient, CancellationToken, Task<ITransportConnection>> establish, Action? onDispose = null)
    {
        _accept = accept;
        _listening = listening;
        Endpoint = endpoint;
        _options = options;
        _establish = establish;
        _onDispose = onDispose;
        _maxEstablishing = options.MaxConnections;
        _loop = Task.Run(AcceptLoopAsync);
    }

    public IpcEndpoint Endpoint { get; }

    private async Task AcceptLoopAsync()
    {
        while (!_closing.IsCancellationRequested)
        {
            TClient client;
            try
            {
                client = await _accept(_closing.Token).ConfigureAwait(false);
            }
            catch (Exception) when (_closing.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e) when (e is SocketException or IOException)
            {
                // E.g. out of descriptors: report, back off, keep serving.
                _options.ReportSecurityEvent($"accept on {Endpoint} failed: {e.Message}");
                try { await Task.Delay(50, _closing.Token).ConfigureAwait(false); } catch (OperationCanceledException) { break; }
                continue;
            }
            if (Interlocked.Increment(ref _establishing) > _maxEstablishing)
            {
                Interlocked.Decrement(ref _establishing);
                client.Dispose();
                if (Interlocked.Increment(ref _turnedAway) == 1)
                    _options.ReportSecurityEvent($"{Endpoint} has {_maxEstablishing} connections still in their setup (IpcOptions.MaxConnections); " +
                        $"new ones are closed at once until one of them finishes or exceeds IpcOptions.HandshakeTimeout ({_options.HandshakeTimeout.TotalSeconds:0.#} s).");
                continue;
            }
            _ = Task.Run(() => EstablishAsync(client));
        }
        _ready.Writer.TryComplete();
    }

    private async Task EstablishAsync(TClient client)
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
        finally
        {
            Interlocked.Decrement(ref _establishing);
            if (Volatile.Read(ref _turnedAway) > 0 && Interlocked.Exchange(ref _turnedAway, 0) is var closed and > 0 && !_closing.IsCancellationRequested)
                _options.ReportSecurityEvent($"{Endpoint} closed {closed} connection(s) at once because {_maxEstablishing} were already in their setup (IpcOptions.MaxConnections).");
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
        _listening.Dispose();
        try { await _loop.ConfigureAwait(false); } catch { }
        while (_ready.Reader.TryRead(out var left)) await left.DisposeAsync().ConfigureAwait(false);
        _onDispose?.Invoke();
        _closing.Dispose();
    }
}
