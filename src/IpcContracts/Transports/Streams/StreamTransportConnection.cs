using System.IO.Pipelines;

namespace IpcContracts.Transports.Streams;

/// <summary>
/// A transport connection over a connected duplex <see cref="Stream"/> (a Windows named pipe), framed through
/// System.IO.Pipelines. Writes are asynchronous: on a pipe with no buffer a write completes only once the peer has read
/// it, and the core never waits for that on a thread that reads frames.
/// </summary>
internal sealed class StreamTransportConnection : ITransportConnection
{
    private readonly Stream _stream;
    private int _disposed;

    /// <summary>Wraps a connected stream; the connection owns it.</summary>
    public StreamTransportConnection(Stream stream, string peerDescription)
    {
        _stream = stream;
        PeerDescription = peerDescription;
        // 64 KiB segments: small frames in one read, big payloads stream through. (The socket transports read 256 KiB
        // segments since that cut their receive calls per large frame on Linux; a Windows pipe has not been measured, and
        // timings under Wine would not say.)
        Input = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 64 * 1024, minimumReadSize: 16 * 1024, leaveOpen: true));
        Output = PipeWriter.Create(stream, new StreamPipeWriterOptions(minimumBufferSize: 64 * 1024, leaveOpen: true));
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
        // Closing first ends a pending read or write at once (a write to a peer that no longer reads would wait forever)
        // and the peer sees the end; the core has already waited for its last frames to leave.
        await _stream.DisposeAsync().ConfigureAwait(false);
        await Input.CompleteAsync().ConfigureAwait(false);
        // With an exception the writer writes nothing more to the closed stream.
        await Output.CompleteAsync(new ObjectDisposedException(nameof(StreamTransportConnection))).ConfigureAwait(false);
    }
}
