using System.Diagnostics;
using HdrHistogram;

namespace IpcContracts.Benchmarks.Harness;

/// <summary>p50 / p99 / p99.9 of one latency series, in microseconds.</summary>
internal readonly record struct Latency(double P50, double P99, double P999)
{
    public static Latency From(LongHistogram h) => new(Us(h, 50), Us(h, 99), Us(h, 99.9));

    private static double Us(LongHistogram h, double percentile) => h.GetValueAtPercentile(percentile) * 1e6 / Stopwatch.Frequency;
}

/// <summary>Bytes allocated and CPU time per operation, in the measuring process and in the child.</summary>
internal readonly record struct Cost(double ClientBytes, double ServerBytes, double ClientCpuUs, double ServerCpuUs)
{
    public double Bytes => ClientBytes + ServerBytes;
    public double CpuUs => ClientCpuUs + ServerCpuUs;
}

/// <summary>Counts allocations and CPU time of this process between <see cref="Start"/> and <see cref="Stop"/>.</summary>
internal struct LocalMeter
{
    private long _bytes;
    private TimeSpan _cpu;

    public static LocalMeter Start()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        Thread.Sleep(20);
        using var p = Process.GetCurrentProcess();
        return new LocalMeter { _bytes = GC.GetTotalAllocatedBytes(precise: true), _cpu = p.TotalProcessorTime };
    }

    public readonly (long Bytes, double CpuUs) Stop()
    {
        using var p = Process.GetCurrentProcess();
        return (GC.GetTotalAllocatedBytes(precise: true) - _bytes, (p.TotalProcessorTime - _cpu).TotalMicroseconds);
    }
}

internal static class Timing
{
    public static LongHistogram NewHistogram() => new(TimeStamp.Seconds(30), 3);

    public static double Seconds(long ticks) => ticks / (double)Stopwatch.Frequency;

    public static double Median(List<double> values)
    {
        values.Sort();
        var n = values.Count;
        return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
    }

    /// <summary>Runs an async measurement from the main thread (continuations run on the pool or the transport's reader).</summary>
    public static T Await<T>(Func<Task<T>> body) => body().GetAwaiter().GetResult();

    public static void Await(Func<Task> body) => body().GetAwaiter().GetResult();
}

/// <summary>
/// Decides when a warm-up is over: once neither this process nor the child has JIT-compiled a method for
/// 500 ms (<see cref="System.Runtime.JitInfo"/>), after at least 500 ms and at most 3 s (a 200 ms window was
/// seen to end between two tiering steps, with the generated dispatch measured at 3x its steady cost). The JIT promotes hot
/// code to its optimized tier only after a quiet period and compiles it on a background thread; measuring
/// before that ends would time unoptimized code, and with two cores the background compiler would also take a
/// CPU away from a spinning shared-memory reader.
/// </summary>
internal sealed class WarmUp(Processes.Child? child)
{
    private static readonly long s_min = Stopwatch.Frequency * Env("IPCBENCH_WARMUP_MIN_MS", 500) / 1000,
        s_quiet = Stopwatch.Frequency * Env("IPCBENCH_WARMUP_QUIET_MS", 500) / 1000, s_max = Stopwatch.Frequency * 3;

    private static long Env(string name, long fallback) => long.TryParse(Environment.GetEnvironmentVariable(name), out var v) ? v : fallback;
    private static readonly bool s_verbose = Environment.GetEnvironmentVariable("IPCBENCH_VERBOSE") == "1";
    private readonly long _start = Stopwatch.GetTimestamp();
    private long _lastChange = Stopwatch.GetTimestamp();
    private long _local = -1, _remote = -1;

    /// <summary>Call after each chunk of warm-up work (about 100 ms or less); true when the warm-up is over.</summary>
    public bool Done()
    {
        var now = Stopwatch.GetTimestamp();
        var local = System.Runtime.JitInfo.GetCompiledMethodCount();
        var remote = child?.JitCount() ?? 0;
        if (local != _local || remote != _remote)
        {
            _local = local;
            _remote = remote;
            _lastChange = now;
        }
        var elapsed = now - _start;
        var done = elapsed >= s_max || (elapsed >= s_min && now - _lastChange >= s_quiet);
        if (done && s_verbose)
            Console.Error.Write($"[warm-up {Timing.Seconds(elapsed):0.00} s, {_local} + {_remote} methods compiled{(elapsed >= s_max ? ", JIT still busy" : "")}] ");
        return done;
    }
}
