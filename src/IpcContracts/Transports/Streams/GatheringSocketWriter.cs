using System.IO.Pipelines;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace IpcContracts.Transports.Streams;

/// <summary>
/// The output of a socket connection: <see cref="PipeWriter.Create(Stream, StreamPipeWriterOptions?)"/> over the
/// connection's stream for everything, plus <see cref="IGatheringWriter"/>: several large frames in one gathered
/// socket send (<c>sendmsg</c> with one iovec per frame). With <paramref name="largeWriteSendBuffer"/> above 0, the
/// socket's send buffer is raised to it while writes of at least <see cref="LargeWrite"/> bytes go out and set back by
/// the next smaller one (see <c>UnixSocketPipes.LargeWriteSendBuffer</c> for why).
/// </summary>
/// <remarks>
/// With <paramref name="gathers"/> false (a socket written only through synchronous calls, <see cref="PollingSocketWriter"/>)
/// large frames go through the buffered writer one by one instead: the gathered send is an asynchronous socket operation.
/// </remarks>
internal sealed class GatheringSocketWriter(Socket socket, PipeWriter buffered, int largeWriteSendBuffer = 0, bool gathers = true) : PipeWriter, IGatheringWriter
{
    /// <summary>Writes from this size on get the large send buffer: a frame the send path writes from its own memory.</summary>
    public const int LargeWrite = 64 * 1024;

    // Only the send path's writer thread calls in, one write at a time: one list serves every gathered send, and the
    // buffer is raised and set back by that one thread.
    private readonly List<ArraySegment<byte>> _segments = [];
    private int _defaultSendBuffer = -1; // as the kernel reports it, read before the first raise
    private bool _raised;

    public override void Advance(int bytes) => buffered.Advance(bytes);

    public override Memory<byte> GetMemory(int sizeHint = 0) => buffered.GetMemory(sizeHint);

    public override Span<byte> GetSpan(int sizeHint = 0) => buffered.GetSpan(sizeHint);

    public override void CancelPendingFlush() => buffered.CancelPendingFlush();

    public override void Complete(Exception? exception = null) => buffered.Complete(exception);

    public override ValueTask CompleteAsync(Exception? exception = null) => buffered.CompleteAsync(exception);

    public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
    {
        // What is flushed here are small frames, buffered by the send path (a large one comes through WriteAsync).
        if (_raised) SizeSendBufferFor(buffered.UnflushedBytes);
        return buffered.FlushAsync(cancellationToken);
    }

    public override ValueTask<FlushResult> WriteAsync(ReadOnlyMemory<byte> source, CancellationToken cancellationToken = default)
    {
        SizeSendBufferFor(source.Length);
        return buffered.WriteAsync(source, cancellationToken);
    }

    /// <summary>
    /// Raises the send buffer for a large write and keeps it raised while large writes follow (a stream's chunks); the
    /// first small write sets it back, so small frames written back to back batch again behind a full buffer.
    /// </summary>
    private void SizeSendBufferFor(long bytes)
    {
        if (largeWriteSendBuffer <= 0) return;
        var large = bytes >= LargeWrite;
        if (large == _raised) return;
        try
        {
            if (large)
            {
                if (_defaultSendBuffer < 0) _defaultSendBuffer = socket.SendBufferSize;
                socket.SendBufferSize = largeWriteSendBuffer;
            }
            else
            {
                // Linux reports twice what was set (its bookkeeping overhead) and doubles what it is given: half of the
                // reported default gives the default back.
                socket.SendBufferSize = OperatingSystem.IsLinux() ? _defaultSendBuffer / 2 : _defaultSendBuffer;
            }
            _raised = large;
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Refused, or closing: the write goes out with the buffer the socket has (a closing one fails as usual).
        }
    }

    public ValueTask<FlushResult> WriteGatheredAsync(IReadOnlyList<ReadOnlyMemory<byte>> buffers)
    {
        long total = 0;
        foreach (var buffer in buffers) total += buffer.Length;
        SizeSendBufferFor(total);
        return WriteGatheredCoreAsync(buffers);
    }

    private ValueTask<FlushResult> WriteGatheredCoreAsync(IReadOnlyList<ReadOnlyMemory<byte>> buffers)
    {
        if (!gathers) return WriteOneByOneAsync(buffers);
        _segments.Clear();
        foreach (var buffer in buffers)
        {
            // Frames live in (pooled) arrays; anything else goes through the buffered writer, in order.
            if (!MemoryMarshal.TryGetArray(buffer, out var segment)) return WriteOneByOneAsync(buffers);
            _segments.Add(segment);
        }
        // Bytes buffered before these frames go first (the send path wrote smaller frames ahead of them).
        if (buffered.UnflushedBytes > 0) return FlushThenSendAsync();
        var send = SendAsync();
        return send.IsCompletedSuccessfully ? new ValueTask<FlushResult>(default(FlushResult)) : AwaitSendAsync(send);
    }

    private async ValueTask<FlushResult> FlushThenSendAsync()
    {
        var flushed = await buffered.FlushAsync().ConfigureAwait(false);
        if (flushed.IsCompleted || flushed.IsCanceled) return flushed;
        await SendAsync().ConfigureAwait(false);
        return default;
    }

    private static async ValueTask<FlushResult> AwaitSendAsync(Task send)
    {
        await send.ConfigureAwait(false);
        return default;
    }

    private async ValueTask<FlushResult> WriteOneByOneAsync(IReadOnlyList<ReadOnlyMemory<byte>> buffers)
    {
        foreach (var buffer in buffers)
        {
            var result = await buffered.WriteAsync(buffer).ConfigureAwait(false);
            if (result.IsCompleted || result.IsCanceled) return result;
        }
        return default;
    }

    /// <summary>
    /// One gathered send of every segment; a stream socket's send completes once all bytes are taken. Failures surface
    /// as <see cref="IOException"/>, as they do through the stream for every other write.
    /// </summary>
    private Task SendAsync()
    {
        Task<int> send;
        try
        {
            send = socket.SendAsync(_segments, SocketFlags.None);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            return Task.FromException(new IOException($"Unable to write data to the transport connection: {e.Message}", e));
        }
        return send.IsCompletedSuccessfully ? Task.CompletedTask : WrapAsync(send);

        static async Task WrapAsync(Task<int> send)
        {
            try
            {
                await send.ConfigureAwait(false);
            }
            catch (SocketException e)
            {
                throw new IOException($"Unable to write data to the transport connection: {e.Message}", e);
            }
        }
    }
}
