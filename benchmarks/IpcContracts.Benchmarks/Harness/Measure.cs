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
