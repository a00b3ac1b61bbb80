using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace IpcContracts.Benchmarks.Processes;

/// <summary>
/// Counts of a process that say how often work changed threads, robust on a noisy machine where times are not:
/// thread-pool work items completed (<see cref="ThreadPool.CompletedWorkItemCount"/>), and voluntary and involuntary
/// context switches of all its threads (<c>getrusage(RUSAGE_SELF)</c>, which also counts threads that have ended). A
/// voluntary switch is a thread that blocked and had to be woken again: one hand-off that waited. Per thread name
/// (<c>/proc/self/task/*/comm</c>) the same split shows which threads were woken (threads that ended in between are in
/// the totals only).
/// </summary>
internal readonly record struct HandoffCounters(long WorkItems, long Voluntary, long Involuntary, Dictionary<string, (long Voluntary, long Involuntary)> ByThread)
{
    /// <summary>Garbage collections (any generation) and their total pause, in milliseconds: large transfers pay here, not in hand-offs.</summary>
    public long Collections { get; init; }

    /// <inheritdoc cref="Collections"/>
    public double PauseMs { get; init; }

    /// <summary>CPU time of the process (user + system, all threads), in microseconds.</summary>
    public double CpuUs { get; init; }

    public static HandoffCounters Now()
    {
        var byThread = new Dictionary<string, (long, long)>();
        long voluntary = 0, involuntary = 0;
        double cpu = 0;
        if (getrusage(0 /* RUSAGE_SELF */, out var usage) == 0)
        {
            voluntary = usage.Nvcsw;
            involuntary = usage.Nivcsw;
            cpu = (usage.UtimeSec + usage.StimeSec) * 1e6 + usage.UtimeUsec + usage.StimeUsec;
        }
        // Threads by name and id: a name alone would mix threads that came and went.
        foreach (var (id, thread) in ThreadSwitches.ByThreadId()) byThread[$"{thread.Name}#{id}"] = (thread.Voluntary, thread.Involuntary);
        return new HandoffCounters(ThreadPool.CompletedWorkItemCount, voluntary, involuntary, byThread)
        {
            Collections = GC.CollectionCount(0), PauseMs = GC.GetTotalPauseDuration().TotalMilliseconds, CpuUs = cpu,
        };
    }

    /// <summary>What happened since <paramref name="earlier"/>; per-thread figures summed by thread name.</summary>
    public HandoffCounters Since(HandoffCounters earlier)
    {
        var byName = new Dictionary<string, (long, long)>();
        foreach (var (key, (v, i)) in ByThread)
        {
            earlier.ByThread.TryGetValue(key, out var before);
            var name = key[..key.LastIndexOf('#')];
            byName.TryGetValue(name, out var sum);
            byName[name] = (sum.Item1 + v - before.Voluntary, sum.Item2 + i - before.Involuntary);
        }
        return new HandoffCounters(WorkItems - earlier.WorkItems, Voluntary - earlier.Voluntary, Involuntary - earlier.Involuntary, byName)
        {
            Collections = Collections - earlier.Collections, PauseMs = PauseMs - earlier.PauseMs, CpuUs = CpuUs - earlier.CpuUs,
        };
    }

    /// <summary>One line: <c>workItems voluntary involuntary collections pauseMs cpuUs name=v/i;name=v/i</c> (names with spaces as underscores).</summary>
    public string Encode()
    {
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"{WorkItems} {Voluntary} {Involuntary} {Collections} {PauseMs:0.###} {CpuUs:0} ");
        foreach (var (name, (v, i)) in ByThread.Where(t => t.Value.Voluntary + t.Value.Involuntary > 0).OrderBy(t => t.Key, StringComparer.Ordinal))
            sb.Append(CultureInfo.InvariantCulture, $"{name.Replace(' ', '_').Replace(';', '_').Replace('=', '_')}={v}/{i};");
        return sb.ToString().TrimEnd();
    }

    public static HandoffCounters Decode(string[] words)
    {
        var byThread = new Dictionary<string, (long, long)>();
        if (words.Length > 6)
        {
            foreach (var part in words[6].Split(';', StringSplitOptions.RemoveEmptyEntries))
            {
                var eq = part.LastIndexOf('=');
                var slash = part.LastIndexOf('/');
                byThread[part[..eq]] = (long.Parse(part[(eq + 1)..slash], CultureInfo.InvariantCulture), long.Parse(part[(slash + 1)..], CultureInfo.InvariantCulture));
            }
        }
        return new HandoffCounters(long.Parse(words[0], CultureInfo.InvariantCulture), long.Parse(words[1], CultureInfo.InvariantCulture),
            long.Parse(words[2], CultureInfo.InvariantCulture), byThread)
        {
            Collections = long.Parse(words[3], CultureInfo.InvariantCulture), PauseMs = double.Parse(words[4], CultureInfo.InvariantCulture),
            CpuUs = double.Parse(words[5], CultureInfo.InvariantCulture),
        };
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct RUsage
    {
        public long UtimeSec, UtimeUsec, StimeSec, StimeUsec;
        public long Maxrss, Ixrss, Idrss, Isrss, Minflt, Majflt, Nswap, Inblock, Oublock, Msgsnd, Msgrcv, Nsignals, Nvcsw, Nivcsw;
    }

#pragma warning disable SYSLIB1054 // a benchmark helper: the plain DllImport needs no generated marshalling for a blittable struct
    [DllImport("libc", SetLastError = true)]
    private static extern int getrusage(int who, out RUsage usage);
#pragma warning restore SYSLIB1054
}
