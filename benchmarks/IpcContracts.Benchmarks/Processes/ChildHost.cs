using System.Diagnostics;

namespace IpcContracts.Benchmarks.Processes;

/// <summary>
/// The child side of every remote measurement. A child prints <c>READY &lt;address&gt;</c>, then obeys one
/// command per line on standard input and answers each with one line on standard output:
/// <c>mark</c> (collect garbage, then remember allocated bytes and CPU time), <c>stats</c> (bytes allocated
/// and CPU microseconds since the mark), <c>counts</c> (work items and context switches since the mark, <see cref="HandoffCounters"/>), <c>gc</c> (collections per generation and GC pause microseconds since the mark), <c>pid</c>, <c>jit</c> (methods compiled so far), <c>quit</c>, or a command of the child's own. Standard input
/// closing (the measuring process died) also ends the child.
/// </summary>
internal static class ChildHost
{
    public static int Run(string readyAddress, Func<string[], string?> handle)
    {
        var process = Process.GetCurrentProcess();
        long markAlloc = 0;
        long? countedAlloc = null; // the allocation counter when "counts" came, before it read /proc
        var markCpu = TimeSpan.Zero;
        var markCounters = HandoffCounters.Now();
        (int Gen0, int Gen1, int Gen2, TimeSpan Pause) markGc = default;
        Console.Out.Flush();
        Console.WriteLine($"READY {readyAddress}");
        while (Console.ReadLine() is { } line)
        {
            var words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (words.Length == 0) continue;
            switch (words[0])
            {
                case "quit":
                    return 0;
                case "mark":
                    GC.Collect();
                    GC.WaitForPendingFinalizers();
                    process.Refresh();
                    markCpu = process.TotalProcessorTime;
                    markCounters = HandoffCounters.Now();
                    markGc = (GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2), GC.GetTotalPauseDuration());
                    // Last: taking the counters reads /proc for every thread (about 300 KB of buffers and strings), which
                    // used to land in the next measurement (16 B per round trip of 20,000).
                    markAlloc = GC.GetTotalAllocatedBytes(precise: true);
                    countedAlloc = null;
                    Console.WriteLine("OK");
                    break;
                case "counts":
                    // The window's bytes end here when the counters are asked for first (the counts mode does): reading
                    // them allocates about 350 KB, 1.75 B per event of a 200,000-event window.
                    countedAlloc ??= GC.GetTotalAllocatedBytes(precise: true);
                    Console.WriteLine($"COUNTS {HandoffCounters.Now().Since(markCounters).Encode()}");
                    break;
                case "gc":
                    // Collections of each generation and the time paused for them since the mark (collections count every lower generation too).
                    Console.WriteLine(FormattableString.Invariant(
                        $"GC {GC.CollectionCount(0) - markGc.Gen0} {GC.CollectionCount(1) - markGc.Gen1} {GC.CollectionCount(2) - markGc.Gen2} {(GC.GetTotalPauseDuration() - markGc.Pause).TotalMicroseconds:0}"));
                    break;
                case "pid":
                    Console.WriteLine($"PID {Environment.ProcessId}");
                    break;
                case "jit":
                    Console.WriteLine($"JIT {System.Runtime.JitInfo.GetCompiledMethodCount()}");
                    break;
                case "stats":
                    var alloc = (countedAlloc ?? GC.GetTotalAllocatedBytes(precise: true)) - markAlloc; // first, before anything the command allocates
                    countedAlloc = null;
                    process.Refresh();
                    var cpu = process.TotalProcessorTime - markCpu;
                    Console.WriteLine($"STATS {alloc} {cpu.TotalMicroseconds:0}");
                    break;
                default:
                    string? reply;
                    try
                    {
                        reply = handle(words);
                    }
                    catch (Exception e)
                    {
                        reply = $"ERROR {e.GetType().Name}: {e.Message.ReplaceLineEndings(" ")}";
                    }
                    Console.WriteLine(reply ?? $"ERROR unknown command '{line}'");
                    break;
            }
        }
        return 0;
    }

    /// <summary>Tells the measuring process a command's traffic may start (the reply to the command comes when it is done).</summary>
    public static void Go() => Console.WriteLine("GO");
}
