using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Threading.Channels;

namespace IpcContracts.Transports.InMemory;

/// <summary>
/// <c>inproc://NAME</c>: two <see cref="Pipe"/>s cross-wired inside one process. For unit tests:
/// it runs the same framing, handshake and dispatch code as the real transports.
/// </summary>
public sealed class InMemoryTransport : IIpcTransport
{
    /// <summary>The process-wide instance registered for <c>inproc://</c>.</summary>
    public static readonly InMemoryTransport Instance = new();

    private readonly ConcurrentDictionary<string, Listener> _listeners = new(StringComparer.Ordinal);

    /// <inheritdoc />
    public string Scheme => "inproc";

    /// <inheritdoc />
    public ValueTask<IIpcListener> ListenAsync(IpcEndpoint endpoint, IpcOptions options, CancellationToken cancellationToken)
    {
        var listener = new Listener(this, endpoint);
        if (!_listeners.TryAdd(endpoint.Address, listener))
            throw new EndpointInUseException(endpoint.ToString());
        return ValueTask.FromResult<IIpcListener>(listener);
    }

    /// <inheritdoc />
    public ValueTask<ITransportConnection> ConnectAsync(IpcEndpoint endpoint, IpcOptions options, CancellationToken cancellationToken)
    {
        if (!_listeners.TryGetValue(endpoint.Address, out var listener))
            throw new NoServerListeningException(endpoint.ToString());
        var toServer = new System.IO.Pipelines.Pipe();
        var toClient = new System.IO.Pipelines.Pipe();
        var clientSide = new Connection(toClient.Reader, toServer.Writer, $"{endpoint} (server)");
        var serverSide = new Connection(toServer.Reader, toClient.Writer, $"{endpoint} (client)");
        if (!listener.Pending.Writer.TryWrite(serverSide))
            throw new ChannelFaultedException($"The server on {endpoint} is closing.");
        return ValueTask.FromResult<ITransportConnection>(clientSide);
    }

    private sealed class Listener(InMemoryTransport owner, IpcEndpoint endpoint) : IIpcListener
    {
        public readonly Channel<Connection> Pending = Channel.CreateUnbounded<Connection>();

        public IpcEndpoint Endpoint => endpoint;

        public async ValueTask<ITransportConnection> AcceptAsync(CancellationToken cancellationToken)
        {
            try
            {
                return await Pending.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (ChannelClosedException e)
            {
                throw new OperationCanceledException("The listener was closed.", e);
            }
        }

        public ValueTask DisposeAsync()
        {
            owner._listeners.TryRemove(new KeyValuePair<string, Listener>(endpoint.Address, this));
            Pending.Writer.TryComplete();
            return ValueTask.CompletedTask;
        }
    }

    private sealed class Connection(PipeReader input, PipeWriter output, string peer) : ITransportConnection
    {
        public PipeReader Input => input;
        public PipeWriter Output => output;
        public string PeerDescription => peer;

        public async ValueTask DisposeAsync()
        {
            // A flush waiting for a peer that does not read would otherwise wait forever (completing the writer does not
            // end it): the send path's last write must end when the connection does, as on the other transports, since a
            // call whose binary argument that write still reads completes only then (docs/semantics.md, "The caller's buffer").
            output.CancelPendingFlush();
            // Completing our writer ends the peer's reader, which is how the peer learns we are gone.
            await output.CompleteAsync().ConfigureAwait(false);
            await input.CompleteAsync().ConfigureAwait(false);
        }
    }
}
