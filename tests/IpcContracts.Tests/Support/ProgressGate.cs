using System.Collections.Concurrent;

namespace IpcContracts.Tests.Support;

/// <summary>
/// The caller's side of an upload with progress: collects the handler's reports in order, and holds the caller's stream
/// (items or bytes) at a point until a report of at least a given value has arrived. A source held this way finishes
/// only if reports come back while the handler is still reading; reports sent only at the end would leave it waiting
/// (bounded: the source fails after 30 s).
/// </summary>
internal sealed class ProgressGate<T>(T openAt) : IProgress<T> where T : IComparable<T>
{
    private readonly TaskCompletionSource _open = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public ConcurrentQueue<T> Reports { get; } = new();

    public void Report(T value)
    {
        Reports.Enqueue(value);
        if (value.CompareTo(openAt) >= 0) _open.TrySetResult();
    }

    /// <summary>Completes once a report of at least the gate's value came; fails the source after a generous bound.</summary>
    public Task Opened => _open.Task.WaitAsync(TimeSpan.FromSeconds(30));

    /// <summary>1, 2, ... <paramref name="count"/>, holding after item <paramref name="holdAfter"/> until the gate opens.</summary>
    public async IAsyncEnumerable<int> Numbers(int count, int holdAfter)
    {
        for (int i = 1; i <= count; i++)
        {
            if (i == holdAfter + 1) await Opened;
            yield return i;
        }
    }

    /// <summary>
    /// A read-only stream over <paramref name="data"/> (not a MemoryStream, which the library sends from its array without
    /// reading it) that holds at <paramref name="holdAt"/> bytes until the gate opens.
    /// </summary>
    public Stream Bytes(byte[] data, int holdAt) => new HeldStream(data, holdAt, this);

    private sealed class HeldStream(byte[] data, int holdAt, ProgressGate<T> gate) : Stream
    {
        private int _position;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => _position; set => throw new NotSupportedException(); }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_position == holdAt) await gate.Opened.WaitAsync(cancellationToken);
            var end = _position < holdAt ? holdAt : data.Length;
            var n = Math.Min(buffer.Length, end - _position);
            data.AsMemory(_position, n).CopyTo(buffer);
            _position += n;
            return n;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException("read it asynchronously");
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
