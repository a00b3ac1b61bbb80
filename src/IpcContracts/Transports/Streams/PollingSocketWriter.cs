using System.Net.Sockets;

namespace IpcContracts.Transports.Streams;

/// <summary>
/// The write side of a socket whose connection reads on a thread of its own (<see cref="PollingSocketReader"/>): every
/// send is a synchronous, non-blocking system call, so the socket never gets registered with the sockets' event thread.
/// One asynchronous operation on it would register it for good, and from then on every byte received also woke that
/// thread (and a pool worker) for nothing: a server that had once filled its send buffer (a stream to a slower reader)
/// took 107-120 µs of CPU per 64 B round trip afterwards instead of 22-34 (docs/benchmarks.md, "Session 16").
/// </summary>
/// <remarks>
/// What the socket takes at once is sent on the calling thread. When its buffer is full, the rest is sent from a pool
/// thread that waits for room in <c>poll(2)</c> for at most 100 ms at a time and stops when the connection closes
/// (<see cref="StopWriting"/>; closing also shuts the socket down, which ends a wait at once): the send path awaits that
/// write, so neither a caller nor the reader ever waits for the peer, and the send-stall bound
/// (<see cref="IpcOptions.SendStallTimeout"/>) closes a connection whose peer stops reading.
/// </remarks>
internal sealed class PollingSocketWriter(Socket socket) : Stream
{
    private const int PollMicroseconds = 100_000;
    private volatile bool _closed;

    /// <summary>Makes a write waiting for room fail from its next check on; the caller also shuts the socket down.</summary>
    public void StopWriting() => _closed = true;

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var sent = SendNow(buffer.Span);
        return sent == buffer.Length ? default : SendRestAsync(buffer[sent..], cancellationToken);
    }

    // A method of its own: a lambda in WriteAsync would capture its parameters, and C# allocates that closure when the
    // method is entered, on every write (56 B per frame), not only when the rest has to wait.
    private ValueTask SendRestAsync(ReadOnlyMemory<byte> rest, CancellationToken cancellationToken) =>
        new(Task.Run(() => SendWhenWritable(rest, cancellationToken), CancellationToken.None));

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    // A synchronous write would have to block its thread until the peer read, with no bound but the connection closing:
    // refused, as a read is. The library writes through WriteAsync only; a synchronous PipeWriter.Complete() with bytes
    // still buffered lands here and fails at once instead (PollingSocketWriterTests).
    public override void Write(byte[] buffer, int offset, int count) =>
        throw new NotSupportedException("This connection is written asynchronously only: a synchronous write could block on the peer.");

    /// <summary>Sends what the socket takes without waiting; the number of bytes sent.</summary>
    private int SendNow(ReadOnlySpan<byte> data)
    {
        var total = 0;
        while (total < data.Length)
        {
            int n;
            SocketError error;
            try
            {
                n = socket.Send(data[total..], SocketFlags.None, out error);
            }
            catch (ObjectDisposedException e)
            {
                throw new IOException("Unable to write data to the transport connection: the socket is closed.", e);
            }
            if (error == SocketError.WouldBlock) break;
            if (error != SocketError.Success) throw new IOException($"Unable to write data to the transport connection: {new SocketException((int)error).Message}.");
            total += n;
        }
        return total;
    }

    private void SendWhenWritable(ReadOnlyMemory<byte> rest, CancellationToken cancellationToken)
    {
        while (!rest.IsEmpty)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (_closed) throw new IOException("Unable to write data to the transport connection: the connection is closing.");
            try
            {
                socket.Poll(PollMicroseconds, SelectMode.SelectWrite); // room, an error or a timeout: the send tells which
            }
            catch (ObjectDisposedException e)
            {
                throw new IOException("Unable to write data to the transport connection: the socket is closed.", e);
            }
            catch (SocketException e)
            {
                throw new IOException($"Unable to write data to the transport connection: {e.Message}", e);
            }
            rest = rest[SendNow(rest.Span)..];
        }
    }

    public override void Flush() { }
    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}
