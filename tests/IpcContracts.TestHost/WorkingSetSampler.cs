using System.Diagnostics;

/// <summary>
/// The process's working set when created and the most it reached since, sampled every 10 ms on a thread of its own
/// (the peak counter of the OS would include start-up, before the baseline).
/// </summary>
internal sealed class WorkingSetSampler : IDisposable
{
    private readonly Thread _thread;
    private volatile bool _stop;
    private long _max;

    public WorkingSetSampler()
    {
        Baseline = Current();
        _max = Baseline;
        _thread = new Thread(() =>
        {
            while (!_stop)
            {
                var now = Current();
                if (now > Interlocked.Read(ref _max)) Interlocked.Exchange(ref _max, now);
                Thread.Sleep(10);
            }
        }) { IsBackground = true, Name = "working set sampler" };
        _thread.Start();
    }

    public long Baseline { get; }

    public long Max => Interlocked.Read(ref _max);

    private static long Current()
    {
        using var process = Process.GetCurrentProcess();
        return process.WorkingSet64;
    }

    public void Dispose() => _stop = true;
}
