using System.IO.Pipelines;
using System.Net.Sockets;

namespace IpcContracts.Transports.Streams;

/// <summary>A transport connection over a connected socket, framed through System.IO.Pipelines.</summary>
internal sealed class SocketTransportConnection : ITransportConnection
{
    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private int _disposed;

    /// <summary>Wraps a connected socket; the connection owns it.</summary>
    public SocketTransportConnection(Socket socket, string peerDescription)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
        PeerDescription = peerDescription;
        // Large-enough segments keep small frames in one read; big payloads stream through.
        Input = PipeReader.Create(_stream, new StreamPipeReaderOptions(bufferSize: 64 * 1024, minimumReadSize: 16 * 1024, leaveOpen: true));
        Output = PipeWriter.Create(_stream, new StreamPipeWriterOptions(minimumBufferSize: 64 * 1024, leaveOpen: true));
    }

    /// <inheritdoc />
    public PipeReader Input { get; }

    /// <inheritdoc />
    public PipeWriter Output { get; }

    /// <inheritdoc />
    public string PeerDescription { get; }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        try { _socket.Shutdown(SocketShutdown.Both); } catch (SocketException) { } catch (ObjectDisposedException) { }
        await Input.CompleteAsync().ConfigureAwait(false);
        await Output.CompleteAsync().ConfigureAwait(false);
        await _stream.DisposeAsync().ConfigureAwait(false);
    }
}
