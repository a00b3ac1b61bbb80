using IpcContracts;

namespace IpcContracts.TestContracts;

/// <summary>The ICalculator implementation used in-process and by the test host process.</summary>
public sealed class Calculator : ICalculator
{
    private readonly Func<ITicks>? _ticks;

    public Calculator(Func<ITicks>? ticks = null) => _ticks = ticks;

    /// <summary>Probes whose handler observed cancellation (checked by tests in-process).</summary>
    public static readonly System.Collections.Concurrent.ConcurrentDictionary<string, bool> CancelledProbes = new();

    /// <summary>Probes whose handler has started waiting.</summary>
    public static readonly System.Collections.Concurrent.ConcurrentDictionary<string, bool> StartedProbes = new();

    public Task<int> GetAnswerAsync() => Task.FromResult(42);
    public Task<int> AddAsync(int a, int b, CancellationToken cancellationToken = default) => Task.FromResult(a + b);
    public Task<string> EchoAsync(string text) => Task.FromResult(text);

    public ValueTask<Totals> SumAsync(int[] values, string label, bool negate, CancellationToken cancellationToken = default)
    {
        var sum = values.Sum();
        return new(new Totals(negate ? -sum : sum, label));
    }

    public Task NoResultAsync(string note) => note == "fail" ? Task.FromException(new ArgumentException("note was 'fail'")) : Task.CompletedTask;
    public ValueTask<int> IncrementAsync(int value) => new(value + 1);
    public Task<byte[]> EchoBytesAsync(byte[] data) => Task.FromResult(data);
    public Task<int> SizeOfAsync(byte[] data) => Task.FromResult(data.Length);
    public Task<byte[]> MakeBytesAsync(int length, int seed) => Task.FromResult(Patterns.Bytes(length, seed));

    public async Task<int> WaitUntilCancelledAsync(string probe, CancellationToken cancellationToken)
    {
        StartedProbes[probe] = true;
        try
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
            return 0;
        }
        catch (OperationCanceledException)
        {
            CancelledProbes[probe] = true;
            Console.WriteLine($"CANCELLED {probe}");
            throw;
        }
    }

    public Task<int> ThrowAsync(string message) => throw new InvalidOperationException(message);

    public async Task<string> CallBackAsync(string text)
    {
        var caller = IpcCallContext.Connection ?? throw new InvalidOperationException("No call context.");
        var transformed = await caller.Proxy<IClientCallback>().TransformAsync(text);
        return $"server saw '{transformed}'";
    }

    public async Task<int> DelayAsync(int milliseconds, CancellationToken cancellationToken)
    {
        await Task.Delay(milliseconds, cancellationToken);
        return milliseconds;
    }

    public Task PublishTicksAsync(string source, int count)
    {
        var ticks = _ticks?.Invoke() ?? throw new InvalidOperationException("This calculator has no publisher.");
        for (var i = 1; i <= count; i++) ticks.Tick(new Tick(i, source));
        return Task.CompletedTask;
    }
}

/// <summary>Deterministic byte patterns so both processes can check large payloads byte for byte.</summary>
public static class Patterns
{
    /// <summary>Byte number <paramref name="position"/> of an endless pattern: a stream of any length without holding it.</summary>
    public static byte At(long position) => (byte)((position * 131) ^ (position >> 9));

    /// <summary>FNV-1a 64 over the bytes, continued from <paramref name="hash"/> (start with <see cref="ChecksumSeed"/>).</summary>
    public static long Checksum(ReadOnlySpan<byte> data, long hash = ChecksumSeed)
    {
        var h = (ulong)hash;
        foreach (var b in data) h = (h ^ b) * 1099511628211UL;
        return (long)h;
    }

    public const long ChecksumSeed = unchecked((long)14695981039346656037UL);

    /// <summary>Patterns.Checksum of the first <paramref name="length"/> bytes of <see cref="At"/>.</summary>
    public static long PatternChecksum(long length)
    {
        var h = ChecksumSeed;
        Span<byte> buffer = stackalloc byte[4096];
        for (long done = 0; done < length;)
        {
            var n = (int)Math.Min(buffer.Length, length - done);
            for (var i = 0; i < n; i++) buffer[i] = At(done + i);
            h = Checksum(buffer[..n], h);
            done += n;
        }
        return h;
    }

    public static byte[] Bytes(int length, int seed)
    {
        var data = new byte[length];
        var x = (uint)seed * 2654435761u + 1;
        for (var i = 0; i < data.Length; i++)
        {
            x ^= x << 13; x ^= x >> 17; x ^= x << 5;
            data[i] = (byte)x;
        }
        return data;
    }
}
