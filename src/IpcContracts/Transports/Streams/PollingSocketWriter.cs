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
/// What the socket takes at once is sent on the calling thread. When its buffer is full, the rest is sent from a thread
/// of the writer's own (<see cref="WriteHandoff{TState, TResult}"/>), started at the first such write and ended when the connection
/// closes or after <see cref="SenderIdleMs"/> without one: it waits for room in <c>poll(2)</c> for at most 100 ms at a
/// time and stops when the connection closes (<see cref="StopWriting"/>; closing also shuts the socket down, which ends a
/// wait at once). The send path awaits that write, so neither a caller nor the reader ever waits for the peer, and the
/// send-stall bound (<see cref="IpcOptions.SendStallTimeout"/>) closes a connection whose peer stops reading.
/// The wait used to run on a thread-pool thread (<c>Task.Run</c>): a peer that stopped reading then held a pool thread
/// for up to the send-stall bound, 30 s by default, and a few such peers starved the pool that every other connection's
/// handlers and continuations run on, until it injected threads (one every half second or so). A thread of the
/// writer's own costs the stalled connection alone (PollingSocketWriterTests).
/// </remarks>
internal sealed class PollingSocketWriter : Stream
{
    /// <summary>The name of the thread that waits for room; tests find it by name.</summary>
    internal const string SenderThreadName = "IpcContracts socket sender";

    private const int PollMicroseconds = 100_000;
    private const int SenderIdleMs = 30_000;

    private readonly Socket _socket;
    private readonly WriteHandoff<(ReadOnlyMemory<byte> Bytes, CancellationToken Token), bool> _handoff;
    private volatile bool _closed;

    public PollingSocketWriter(Socket socket)
    {
        _socket = socket;
        _handoff = new(SenderThreadName, SendRest, SenderIdleMs);
    }

    /// <summary>Makes a write waiting for room fail from its next check on and ends the sender thread; the caller also shuts the socket down.</summary>
    public void StopWriting()
    {
        _closed = true;
        _handoff.Stop();
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var sent = SendNow(buffer.Span);
        if (sent == buffer.Length) return default;
        // The rest goes to the sender thread; no allocation once that thread runs.
        return _handoff.TryHandOver((buffer[sent..], cancellationToken), out var token)
            ? new ValueTask(_handoff, token)
            : ValueTask.FromException(Closing());
    }

    // The sender thread: the rest of a write, once the socket has room.
    private bool SendRest((ReadOnlyMemory<byte> Bytes, CancellationToken Token) write)
    {
        SendWhenWritable(write.Bytes, write.Token);
        return true;
    }

    private static IOException Closing() => new("Unable to write data to the transport connection: the connection is closing.");

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
                n = _socket.Send(data[total..], SocketFlags.None, out error);
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
            if (_closed) throw Closing();
            try
            {
                _socket.Poll(PollMicroseconds, SelectMode.SelectWrite); // room, an error or a timeout: the send tells which
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
