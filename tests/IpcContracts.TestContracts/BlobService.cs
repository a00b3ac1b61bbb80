using System.Buffers;
using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;

namespace IpcContracts.TestContracts;

/// <summary>The IBlobs implementation used in-process and by the test host process.</summary>
public sealed class BlobService : IBlobs
{
    private sealed class Probe
    {
        public long Produced;
        public volatile bool Cancelled;
        public volatile bool Disposed;
    }

    // Static so a probe outlives the handler instance; read back through ProbeAsync (also across processes).
    private static readonly ConcurrentDictionary<string, Probe> Probes = new();

    public Task<long> ChecksumAsync(string label, byte[]? data) => Task.FromResult(data is null ? -1 : Patterns.Checksum(data));

    public Task<ReadOnlyMemory<byte>> EchoMemoryAsync(ReadOnlyMemory<byte> data) => Task.FromResult(data);

    public Task<ReadOnlySequence<byte>> EchoSequenceAsync(ReadOnlySequence<byte> data) => Task.FromResult(data);

    private static readonly ConcurrentDictionary<string, byte[]> Kept = new();

    public Task<long> KeepAsync(string slot, byte[] data)
    {
        Kept[slot] = data;
        return Task.FromResult(Patterns.Checksum(data));
    }

    public Task<long> KeepMemoryAsync(string slot, ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        var copy = data.ToArray();
        Kept[slot] = copy;
        return Task.FromResult(Patterns.Checksum(copy));
    }

    public Task<long> KeptChecksumAsync(string slot) => Task.FromResult(Kept.TryGetValue(slot, out var data) ? Patterns.Checksum(data) : -1);

    public async IAsyncEnumerable<ReadOnlyMemory<byte>> PiecesAsync(int count, int size)
    {
        for (var i = 0; i < count; i++)
        {
            yield return Patterns.Bytes(size, i);
            if (i % 64 == 63) await Task.Yield();
        }
    }

    public Task<Stream> DownloadAsync(string probe, long length, CancellationToken cancellationToken = default)
    {
        var state = Probes.GetOrAdd(probe, _ => new Probe());
        cancellationToken.Register(() => state.Cancelled = true);
        return Task.FromResult<Stream>(new PatternStream(length, state));
    }

    public Task<PipeReader> DownloadPipeAsync(long length) =>
        Task.FromResult(PipeReader.Create(new PatternStream(length, new Probe())));

    public async Task<long> UploadAsync(string label, int pauseMs, Stream data, CancellationToken cancellationToken = default)
    {
        var buffer = new byte[64 * 1024];
        var hash = Patterns.ChecksumSeed;
        long total = 0, nextPause = 1 << 20;
        int read;
        while ((read = await data.ReadAsync(buffer, cancellationToken)) > 0)
        {
            hash = Patterns.Checksum(buffer.AsSpan(0, read), hash);
            total += read;
            if (pauseMs > 0 && total >= nextPause)
            {
                nextPause += 1 << 20;
                await Task.Delay(pauseMs, cancellationToken);
            }
        }
        return hash;
    }

    public async Task<long> UploadWithProgressAsync(Stream data, IProgress<long> received, CancellationToken cancellationToken = default)
    {
        var buffer = new byte[64 * 1024];
        var hash = Patterns.ChecksumSeed;
        long total = 0;
        int read;
        while ((read = await data.ReadAsync(buffer, cancellationToken)) > 0)
        {
            hash = Patterns.Checksum(buffer.AsSpan(0, read), hash);
            total += read;
            received.Report(total);
        }
        return hash;
    }

    public async Task<long> UploadPipeAsync(PipeReader data)
    {
        var hash = Patterns.ChecksumSeed;
        while (true)
        {
            var result = await data.ReadAsync();
            foreach (var segment in result.Buffer) hash = Patterns.Checksum(segment.Span, hash);
            data.AdvanceTo(result.Buffer.End);
            if (result.IsCompleted) break;
        }
        await data.CompleteAsync();
        return hash;
    }

    private static readonly ConcurrentDictionary<string, TaskCompletionSource> Releases = new();

    private static TaskCompletionSource Release(string probe) =>
        Releases.GetOrAdd(probe, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));

    public Task<Stream> StallingDownloadAsync(string probe, int part) =>
        Task.FromResult<Stream>(new StallingStream(part, Release(probe).Task));

    public Task ReleaseAsync(string probe)
    {
        Release(probe).TrySetResult();
        return Task.CompletedTask;
    }

    public Task<long> ReadSynchronouslyAsync(bool offTheFrameThread, Stream data) =>
        offTheFrameThread ? Task.Run(() => ReadAll(data)) : Task.FromResult(ReadAll(data));

    private static long ReadAll(Stream data)
    {
        var buffer = new byte[10_000];
        var hash = Patterns.ChecksumSeed;
        int read;
        while ((read = data.Read(buffer, 0, buffer.Length)) > 0) hash = Patterns.Checksum(buffer.AsSpan(0, read), hash);
        return hash;
    }

    public Task<Stream> FailBeforeStreamAsync(string message) => throw new InvalidOperationException(message);

    public Task<StreamProbe> ProbeAsync(string probe)
    {
        var state = Probes.GetOrAdd(probe, _ => new Probe());
        return Task.FromResult(new StreamProbe(Interlocked.Read(ref state.Produced), state.Cancelled, state.Disposed));
    }

    /// <summary>Patterns.At bytes: the first part, then a wait for the release, then the second part.</summary>
    private sealed class StallingStream(int part, Task released) : Stream
    {
        private long _position;

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_position == part) await released.WaitAsync(cancellationToken);
            var n = (int)Math.Min(buffer.Length, (_position < part ? part : 2 * part) - _position);
            for (var i = 0; i < n; i++) buffer.Span[i] = Patterns.At(_position + i);
            _position += n;
            return n;
        }

        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => 2 * part;
        public override long Position { get => _position; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    /// <summary>Produces Patterns.At bytes as they are read, so a stream of any length costs no memory here.</summary>
    private sealed class PatternStream(long length, Probe probe) : Stream
    {
        private long _position;

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            var n = (int)Math.Min(buffer.Length, length - _position);
            for (var i = 0; i < n; i++) buffer[i] = Patterns.At(_position + i);
            _position += n;
            Interlocked.Add(ref probe.Produced, n);
            return n;
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            new(Read(buffer.Span));

        protected override void Dispose(bool disposing)
        {
            probe.Disposed = true;
            base.Dispose(disposing);
        }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => length;
        public override long Position { get => _position; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
