using System.Globalization;

namespace IpcContracts.Benchmarks.Processes;

/// <summary>
/// The context switches of each live thread of this process, from <c>/proc/self/task/*/status</c> (Linux; empty
/// elsewhere), keyed by thread id. A voluntary switch is a thread that blocked and was woken again: one wake-up.
/// One reader for <see cref="HandoffCounters"/> and the harness's <c>idle</c> mode.
/// </summary>
internal static class ThreadSwitches
{
    public readonly record struct Count(string Name, long Voluntary, long Involuntary);

    public static Dictionary<string, Count> ByThreadId()
    {
        var threads = new Dictionary<string, Count>();
        IEnumerable<string> tasks;
        try
        {
            tasks = Directory.EnumerateDirectories("/proc/self/task");
        }
        catch (DirectoryNotFoundException)
        {
            return threads; // not Linux
        }
        foreach (var task in tasks)
        {
            try
            {
                string? name = null;
                long voluntary = -1, involuntary = 0;
                foreach (var line in File.ReadLines(Path.Combine(task, "status")))
                {
                    if (line.StartsWith("Name:", StringComparison.Ordinal)) name = line[5..].Trim();
                    else if (line.StartsWith("voluntary_ctxt_switches:", StringComparison.Ordinal)) voluntary = long.Parse(line.AsSpan(24).Trim(), CultureInfo.InvariantCulture);
                    else if (line.StartsWith("nonvoluntary_ctxt_switches:", StringComparison.Ordinal)) involuntary = long.Parse(line.AsSpan(27).Trim(), CultureInfo.InvariantCulture);
                }
                if (name is not null && voluntary >= 0) threads[Path.GetFileName(task)] = new Count(name, voluntary, involuntary);
            }
            catch (IOException)
            {
                // the thread ended while we looked
            }
        }
        return threads;
    }
}
