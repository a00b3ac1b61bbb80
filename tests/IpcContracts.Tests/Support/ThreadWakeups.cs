using System.Globalization;

namespace IpcContracts.Tests.Support;

/// <summary>
/// How often a thread was woken (Linux, <c>/proc</c>): its voluntary context switches, each one a wait that ended. Idle
/// tests count these instead of timing anything.
/// </summary>
internal static class ThreadWakeups
{
    /// <summary>The id of the calling thread (its entry under <c>/proc/self/task</c>).</summary>
    public static string CurrentThreadId() => new DirectoryInfo("/proc/thread-self").LinkTarget!.Split('/')[^1];

    /// <summary>The voluntary context switches of thread <paramref name="threadId"/> of this process so far.</summary>
    public static long Of(string threadId) =>
        long.Parse(File.ReadLines($"/proc/self/task/{threadId}/status")
            .Single(l => l.StartsWith("voluntary_ctxt_switches:", StringComparison.Ordinal)).Split(':')[1].Trim(), CultureInfo.InvariantCulture);
}
