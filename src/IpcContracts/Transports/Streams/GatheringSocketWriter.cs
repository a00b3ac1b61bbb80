using System.IO.Pipelines;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace IpcContracts.Transports.Streams;

/// <summary>
/// The output of a socket connection: <see cref="PipeWriter.Create(Stream, StreamPipeWriterOptions?)"/> over the
/// connection's stream for everything, plus <see cref="IGatheringWriter"/>: several large frames in one gathered
/// socket send (<c>sendmsg</c> with one iovec per frame).
/// </summary>
internal sealed class GatheringSocketWriter(Socket socket, PipeWriter buffered) : PipeWriter, IGatheringWriter
{
    // Only the send path's writer thread calls in, one write at a time: one list serves every gathered send.
    private readonly List<ArraySegment<byte>> _segments = [];

    public override void Advance(int bytes) => buffered.Advance(bytes);

    public override Memory<byte> GetMemory(int sizeHint = 0) => buffered.GetMemory(sizeHint);

    public override Span<byte> GetSpan(int sizeHint = 0) => buffered.GetSpan(sizeHint);

    public override void CancelPendingFlush() => buffered.CancelPendingFlush();

    public override void Complete(Exception? exception = null) => buffered.Complete(exception);

    public override ValueTask CompleteAsync(Exception? exception = null) => buffered.CompleteAsync(exception);

    public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default) => buffered.FlushAsync(cancellationToken);

    public override ValueTask<FlushResult> WriteAsync(ReadOnlyMemory<byte> source, CancellationToken cancellationToken = default) =>
        buffered.WriteAsync(source, cancellationToken);

    public override bool CanGetUnflushedBytes => buffered.CanGetUnflushedBytes;

    public override long UnflushedBytes => buffered.UnflushedBytes;

    public ValueTask<FlushResult> WriteGatheredAsync(IReadOnlyList<ReadOnlyMemory<byte>> buffers)
    {
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
