using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace IpcContracts.Transports.Streams;

/// <summary>
/// The read side of a socket for a connection that reads on a thread of its own (<see cref="IpcOptions.DedicatedReaderThread"/>,
/// Linux): a read blocks the calling thread in <c>poll(2)</c> until bytes arrive, so the kernel wakes that thread
/// directly. An asynchronous socket read is woken through two threads instead: the sockets' event thread, then a
/// thread-pool worker (docs/benchmarks.md, "Session 15").
/// </summary>
/// <remarks>
/// A read waits until bytes arrive, the peer closes or fails, or the connection is closed locally: closing shuts the
/// socket down and disposes it, and either ends a poll at once (the read then returns 0, end of stream;
/// PollingSocketReaderTests). An idle connection's thread therefore sleeps: it used to wake every 100 ms to check for a
/// local close, 10 wake-ups a second per connection for nothing. <see cref="PollMs"/> stays as a safety net only, longer
/// than the keep-alive interval (15 s by default), whose pings wake a live connection's reader anyway and whose timeout
/// closes a dead one. The socket's handle is referenced for each system call, so closing the socket cannot
/// hand its descriptor number to another file while a read uses it. Created on Linux only: the flag and error numbers
/// below are Linux's.
/// </remarks>
internal sealed unsafe partial class PollingSocketReader(Socket socket) : Stream
{
    private const int PollMs = 30_000;
    private const int MsgDontWait = 0x40; // Linux
    private const int EAgain = 11;
    private const int EIntr = 4;
    private const short PollIn = 0x1;

    private volatile bool _closed;

    /// <summary>Makes reads end (0 bytes) from the next poll on; the caller also shuts the socket down.</summary>
    public void StopReading() => _closed = true;

    public override int Read(Span<byte> buffer)
    {
        if (buffer.IsEmpty) return 0;
        var handle = socket.SafeHandle;
        while (true)
        {
            if (_closed) return 0;
            var added = false;
            try
            {
                handle.DangerousAddRef(ref added);
                var fd = (int)handle.DangerousGetHandle();
                nint n;
                fixed (byte* p = buffer) n = Recv(fd, p, (nuint)buffer.Length, MsgDontWait);
                if (n >= 0) return (int)n;
                var errno = Marshal.GetLastPInvokeError();
                if (errno != EAgain && errno != EIntr) throw new IOException($"Reading the socket failed: {new SocketException(errno).Message} (errno {errno}).");
                var poll = new PollFd { Fd = fd, Events = PollIn };
                Poll(&poll, 1, PollMs); // readable, hung up, failed, closed here or timed out: the recv above tells which
            }
            catch (ObjectDisposedException)
            {
                return 0; // the socket was disposed: the connection is closing
            }
            finally
            {
                if (added) handle.DangerousRelease();
            }
        }
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    // The pipe reader reads through these: they complete before they return, on the connection's reader thread.
    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => new(Read(buffer.Span));

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        Task.FromResult(Read(buffer.AsSpan(offset, count)));

    [StructLayout(LayoutKind.Sequential)]
    private struct PollFd
    {
        public int Fd;
        public short Events;
        public short REvents;
    }

    [LibraryImport("libc", EntryPoint = "recv", SetLastError = true)]
    private static partial nint Recv(int fd, byte* buffer, nuint length, int flags);

    [LibraryImport("libc", EntryPoint = "poll", SetLastError = true)]
    private static partial int Poll(PollFd* fds, nuint count, int timeoutMs);

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
