using System.Collections.Concurrent;
using System.Runtime.CompilerServices;

namespace IpcContracts.TestContracts;

/// <summary>The IStreams implementation used in-process and by the test host process.</summary>
public sealed class StreamService : IStreams
{
    private sealed class Probe
    {
        public long Produced;
        public volatile bool Cancelled;
        public volatile bool Disposed;
    }

    // Static so a probe outlives the handler instance; read back through ProbeAsync (also across processes).
    private static readonly ConcurrentDictionary<string, Probe> Probes = new();

    public async IAsyncEnumerable<int> RangeAsync(int start, int count, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        for (int i = 0; i < count; i++)
        {
            if (i % 1024 == 1023) await Task.Yield(); // mostly synchronous, like a producer over an in-memory source
            yield return start + i;
        }
    }

    public async IAsyncEnumerable<Chunk> ChunksAsync(string probe, int count, int size, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var state = Probes.GetOrAdd(probe, _ => new Probe());
        try
        {
            for (int i = 0; i < count; i++)
            {
                var data = new byte[size];
                data[0] = (byte)i;
                data[^1] = (byte)(i >> 8);
                Interlocked.Increment(ref state.Produced);
                yield return new Chunk(i, data);
                await Task.Yield();
            }
        }
        finally
        {
            state.Cancelled = cancellationToken.IsCancellationRequested;
            state.Disposed = true;
        }
    }

    public async IAsyncEnumerable<int> FailAfterAsync(int count, string message)
    {
        for (int i = 0; i < count; i++)
        {
            await Task.Yield();
            yield return i;
        }
        throw new InvalidOperationException(message);
    }

    public async IAsyncEnumerable<int> EndlessAsync(string probe, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var state = Probes.GetOrAdd(probe, _ => new Probe());
        try
        {
            for (int i = 0; ; i++)
            {
                Interlocked.Increment(ref state.Produced);
                yield return i;
                await Task.Delay(1, cancellationToken);
            }
        }
        finally
        {
            state.Cancelled = cancellationToken.IsCancellationRequested;
            state.Disposed = true;
        }
    }

    public async IAsyncEnumerable<int> StallAsync(string probe, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var state = Probes.GetOrAdd(probe, _ => new Probe());
        try
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
            yield return 0;
        }
        finally
        {
            state.Cancelled = cancellationToken.IsCancellationRequested;
            state.Disposed = true;
        }
    }

    public async IAsyncEnumerable<string> NothingAsync()
    {
        await Task.Yield();
        yield break;
    }

    public IAsyncEnumerable<int> NullAsync() => null!;

    public async Task<long> SumAsync(IAsyncEnumerable<int> numbers, CancellationToken cancellationToken = default)
    {
        long sum = 0;
        await foreach (var n in numbers.WithCancellation(cancellationToken)) sum += n;
        return sum;
    }

    public async Task<long> SumWithProgressAsync(IAsyncEnumerable<int> numbers, IProgress<int> read, CancellationToken cancellationToken = default)
    {
        long sum = 0;
        int count = 0;
        await foreach (var n in numbers.WithCancellation(cancellationToken))
        {
            sum += n;
            if (++count % 100 == 0) read.Report(count);
        }
        if (count % 100 != 0) read.Report(count); // the total, once
        return sum;
    }

    public async Task<int> TakeAsync(int take, IAsyncEnumerable<int> numbers)
    {
        int taken = 0;
        await foreach (var n in numbers)
        {
            if (++taken == take) break;
        }
        return taken;
    }

    public async IAsyncEnumerable<int> DoubleAsync(IAsyncEnumerable<int> numbers, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var n in numbers.WithCancellation(cancellationToken)) yield return 2 * n;
    }

    public async Task<int> UploadAsync(string probe, int pauseMs, IAsyncEnumerable<Chunk> chunks, CancellationToken cancellationToken = default)
    {
        var state = Probes.GetOrAdd(probe, _ => new Probe());
        int count = 0;
        try
        {
            await foreach (var chunk in chunks.WithCancellation(cancellationToken))
            {
                if (chunk.Index != count) throw new InvalidOperationException($"chunk {chunk.Index} arrived where {count} was due");
                count++;
                Interlocked.Increment(ref state.Produced); // here: chunks the handler has read
                if (count == 1) await Task.Delay(pauseMs, cancellationToken);
            }
        }
        catch (OperationCanceledException)
        {
            state.Cancelled = true; // the handler's wait for the next chunk (or its pause) ended with the call's token
            throw;
        }
        finally { state.Disposed = true; }
        return count;
    }

    public Task<StreamProbe> ProbeAsync(string probe) =>
        Task.FromResult(Probes.TryGetValue(probe, out var p) ? new StreamProbe(Interlocked.Read(ref p.Produced), p.Cancelled, p.Disposed) : new StreamProbe(0, false, false));
}
