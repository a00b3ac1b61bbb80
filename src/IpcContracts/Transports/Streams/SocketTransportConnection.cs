using System.IO.Pipelines;
using System.Net.Sockets;

namespace IpcContracts.Transports.Streams;

/// <summary>A transport connection over a connected socket, framed through System.IO.Pipelines.</summary>
internal sealed class SocketTransportConnection : ITransportConnection, IDirectReader, IReceiveLowWater
{
    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly PollingSocketReader? _pollingReader;
    private readonly PollingSocketWriter? _pollingWriter;
    private readonly DedicatedReader? _dedicatedReader;
    private int _disposed;

    /// <summary>Wraps a connected socket; the connection owns it.</summary>
    /// <param name="socket">The connected socket.</param>
    /// <param name="peerDescription">Who is at the other end, for messages.</param>
    /// <param name="largeWriteSendBuffer">
    /// Send buffer size the socket gets while a large write is in flight (<see cref="GatheringSocketWriter"/>); 0 leaves
    /// it alone (TCP, whose buffers tune themselves).
    /// </param>
    /// <param name="dedicatedReader">
    /// Read on a thread of the connection's own, blocked in poll(2) (<see cref="IpcOptions.DedicatedReaderThread"/>), when
    /// not null; the connection gives the grant back when it is disposed.
    /// </param>
    public SocketTransportConnection(Socket socket, string peerDescription, int largeWriteSendBuffer = 0, DedicatedReader? dedicatedReader = null)
    {
        _socket = socket;
        // Linux TCP honours SO_RCVLOWAT in epoll readiness (tcp_poll, tcp_data_ready); a Unix socket ignores it for
        // readiness (any byte wakes), and other systems are not measured.
        LowWaterSupported = OperatingSystem.IsLinux() && socket.ProtocolType == ProtocolType.Tcp;
        _stream = new NetworkStream(socket, ownsSocket: true);
        PeerDescription = peerDescription;
        // Read segments of 256 KiB: one receive takes what a Unix socket buffer holds (about 208 KiB by default) or a
        // large TCP window's worth, where 64 KiB segments took several; a 24 MiB frame took a quarter (tcp) to two thirds
        // (pipe) of the receive calls and read-loop turns (docs/benchmarks.md, "Hand-offs per round trip and per
        // transfer"). Segments this size are large-object arrays, which gen0 collections do not copy while a large frame
        // grows in them. An idle connection holds one segment. Small frames still arrive in one read.
        if (dedicatedReader is not null)
        {
            // The core gives a transport with blocking reads a thread of its own and reads on it. A reader given
            // automatically keeps callers' continuations off it (DedicatedReader says why).
            _dedicatedReader = dedicatedReader;
            _pollingReader = new PollingSocketReader(socket);
            // Written through synchronous calls only, as it is read: one asynchronous operation would register the socket
            // with the sockets' event thread for good (PollingSocketWriter says what that cost).
            socket.Blocking = false;
            _pollingWriter = new PollingSocketWriter(socket);
            Features = TransportFeatures.BlockingReads | (dedicatedReader.Automatic ? TransportFeatures.PooledContinuations : 0);
        }
        Input = PipeReader.Create((Stream?)_pollingReader ?? _stream, new StreamPipeReaderOptions(bufferSize: 256 * 1024, minimumReadSize: 64 * 1024, leaveOpen: true));
        // Small frames are buffered and flushed through the stream; large frames queued back to back leave in one
        // gathered send (GatheringSocketWriter).
        Output = new GatheringSocketWriter(socket, PipeWriter.Create((Stream?)_pollingWriter ?? _stream, new StreamPipeWriterOptions(minimumBufferSize: 64 * 1024, leaveOpen: true)),
            largeWriteSendBuffer, gathers: _pollingWriter is null);
    }

    /// <inheritdoc />
    public TransportFeatures Features { get; }

    /// <inheritdoc />
    public PipeReader Input { get; }

    /// <inheritdoc />
    public PipeWriter Output { get; }

    /// <inheritdoc />
    // The pipe reader (a StreamPipeReader) reads the stream only inside its ReadAsync, so once the core has consumed all it
    // returned, the socket holds the next bytes.
    // A dedicated reader reads large frames the same way, on its own thread.
    public ValueTask<int> ReadDirectAsync(Memory<byte> destination, CancellationToken cancellationToken) =>
        _pollingReader is not null ? new(_pollingReader.Read(destination.Span)) : _socket.ReceiveAsync(destination, SocketFlags.None, cancellationToken);

    /// <inheritdoc />
    public bool LowWaterSupported { get; }

    /// <inheritdoc />
    public void SetLowWater(int bytes)
    {
        try
        {
            _socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReceiveLowWater, Math.Max(1, bytes));
        }
        catch (SocketException) { } // a closing socket: the read ends anyway
        catch (ObjectDisposedException) { }
    }

    /// <inheritdoc />
    public int BytesWaiting
    {
        get
        {
            try { return _socket.Available; }
            catch (SocketException) { return 0; }
            catch (ObjectDisposedException) { return 0; }
        }
    }

    /// <inheritdoc />
    public string PeerDescription { get; }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _pollingReader?.StopReading();
        _pollingWriter?.StopWriting();
        try { _socket.Shutdown(SocketShutdown.Both); } catch (SocketException) { } catch (ObjectDisposedException) { }
        try
        {
            await Input.CompleteAsync().ConfigureAwait(false);
            // Throws when frames were still buffered: the socket is shut down, their write fails (a peer that left while
            // this side was sending). The socket and the reader thread's grant are released all the same.
            await Output.CompleteAsync().ConfigureAwait(false);
        }
        finally
        {
            try
            {
                await _stream.DisposeAsync().ConfigureAwait(false);
            }
            finally
            {
                _dedicatedReader?.Release();
            }
        }
    }
}
