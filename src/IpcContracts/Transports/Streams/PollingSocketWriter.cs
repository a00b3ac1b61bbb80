using System.Net.Sockets;
using System.Threading.Tasks.Sources;

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
/// of the writer's own (<see cref="SenderLoop"/>), started at the first such write and ended when the connection closes
/// or after <see cref="SenderIdleMs"/> without one: it waits for room in <c>poll(2)</c> for at most 100 ms at a time and
/// stops when the connection closes (<see cref="StopWriting"/>; closing also shuts the socket down, which ends a wait at
/// once). The send path awaits that write, so neither a caller nor the reader ever waits for the peer, and the
/// send-stall bound (<see cref="IpcOptions.SendStallTimeout"/>) closes a connection whose peer stops reading.
/// The wait used to run on a thread-pool thread (<c>Task.Run</c>): a peer that stopped reading then held a pool thread
/// for up to the send-stall bound, 30 s by default, and a few such peers starved the pool that every other connection's
/// handlers and continuations run on, until it injected threads (one every half second or so). A thread of the
/// writer's own costs the stalled connection alone (PollingSocketWriterTests).
/// </remarks>
internal sealed class PollingSocketWriter(Socket socket) : Stream, IValueTaskSource
{
    /// <summary>The name of the thread that waits for room; tests find it by name.</summary>
    internal const string SenderThreadName = "IpcContracts socket sender";

    private const int PollMicroseconds = 100_000;
    private const int SenderIdleMs = 30_000;

    private readonly object _gate = new(); // a monitor, not a Lock: the sender thread waits on it (Monitor.Wait)
    // One write waits at a time: the pipe writer awaits each write before it starts the next. Its continuation goes to the
    // pool: run inline on the sender thread instead, the 24 MiB JSON row over pipe:// took 38-46 ms against 14-20 ms
    // (docs/benchmarks.md, "Session 20").
    private ManualResetValueTaskSourceCore<bool> _waiting = new() { RunContinuationsAsynchronously = true };
    private ReadOnlyMemory<byte> _rest;
    private CancellationToken _restToken;
    private bool _pending;
    private bool _senderRunning;
    private volatile bool _closed;

    /// <summary>Makes a write waiting for room fail from its next check on and ends the sender thread; the caller also shuts the socket down.</summary>
    public void StopWriting()
    {
        _closed = true;
        lock (_gate) Monitor.PulseAll(_gate);
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var sent = SendNow(buffer.Span);
        return sent == buffer.Length ? default : SendRestAsync(buffer[sent..], cancellationToken);
    }

    // Hands the rest to the sender thread; no allocation once that thread runs.
    private ValueTask SendRestAsync(ReadOnlyMemory<byte> rest, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (_pending) throw new InvalidOperationException("A write is already waiting for room on this connection: writes must be awaited one at a time.");
            _waiting.Reset();
            _rest = rest;
            _restToken = cancellationToken;
            _pending = true;
            if (_senderRunning)
            {
                Monitor.Pulse(_gate);
            }
            else
            {
                _senderRunning = true;
                new Thread(static s => ((PollingSocketWriter)s!).SenderLoop()) { IsBackground = true, Name = SenderThreadName }.Start(this);
            }
            return new ValueTask(this, _waiting.Version);
        }
    }

    private void SenderLoop()
    {
        while (true)
        {
            ReadOnlyMemory<byte> rest;
            CancellationToken cancellationToken;
            lock (_gate)
            {
                // A closed connection still finishes a write handed over before the close (it fails at its first check).
                if (!_pending && !_closed) Monitor.Wait(_gate, SenderIdleMs);
                if (!_pending)
                {
                    _senderRunning = false; // closed or idle: the next full buffer starts a new thread
                    return;
                }
                rest = _rest;
                cancellationToken = _restToken;
                _rest = default;
                _restToken = default;
            }
            Exception? failure = null;
            try
            {
                SendWhenWritable(rest, cancellationToken);
            }
            catch (Exception e)
            {
                failure = e;
            }
            // Cleared before the write completes: its continuation may start the next write at once.
            lock (_gate) _pending = false;
            if (failure is null) _waiting.SetResult(true);
            else _waiting.SetException(failure);
        }
    }

    void IValueTaskSource.GetResult(short token) => _waiting.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _waiting.GetStatus(token);

    void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _waiting.OnCompleted(continuation, state, token, flags);

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
