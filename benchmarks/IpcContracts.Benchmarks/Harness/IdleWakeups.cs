using System.Globalization;
using IpcContracts.Benchmarks.Processes;
using static IpcContracts.Benchmarks.Harness.Timing;

namespace IpcContracts.Benchmarks.Harness;

/// <summary>
/// <c>idle [pipe|tcp|shm|inproc ...] [--seconds N]</c>: what an idle connection costs (issue #16: idle connections cost no
/// CPU after the spin budget). In this one process, first with no connection, then with a server and a client connected
/// to it (one call made, then nothing for a settling 1.5 s), the voluntary context switches of every thread (its
/// wake-ups, from <c>/proc/self/task/*/status</c>) over N seconds (default 5). Linux only. The difference is the pair's
/// two connections: their timers, their reader threads and the pool work those wake. Counts, not times.
/// </summary>
internal static class IdleWakeups
{
    public static int Run(string[] args)
    {
        if (!OperatingSystem.IsLinux())
        {
            Console.Error.WriteLine("idle: Linux only (/proc/self/task).");
            return 2;
        }
        var seconds = 5;
        var transports = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] == "--seconds" && i + 1 < args.Length && int.TryParse(args[i + 1], out var s) && s > 0) { seconds = s; i++; }
            else transports.Add(args[i]);
        }
        if (transports.Count == 0) transports.AddRange(["pipe", "tcp", "shm", "inproc"]);
        Console.WriteLine($"Wake-ups (voluntary context switches, all threads of this process) per second over {seconds} s; load average {LoadAverage()} before.");
        Console.WriteLine();
        Console.WriteLine("| transport | no connection | one idle client + server pair (both in this process) | the pair's own | threads that woke most (wake-ups in the window) |");
        Console.WriteLine("|---|---|---|---|---|");
        foreach (var transport in transports)
        {
            var endpoint = transport switch
            {
                "pipe" => $"pipe://ipcidle-{Environment.ProcessId}",
                "tcp" => "tcp://127.0.0.1:0",
                "shm" => $"shm://ipcidle-{Environment.ProcessId}",
                "inproc" => $"inproc://ipcidle-{Environment.ProcessId}",
                _ => throw new ArgumentException($"Unknown transport '{transport}' (pipe, tcp, shm or inproc)."),
            };
            Await(async () =>
            {
                await Task.Delay(1000).ConfigureAwait(false);
                var (without, _) = await WindowAsync(seconds).ConfigureAwait(false);
                await using var server = await IpcServer.StartAsync(endpoint, b => b.Handle<IEcho>(new BenchService())).ConfigureAwait(false);
                await using var client = await IpcClient.ConnectAsync(server.Endpoint.ToString()).ConfigureAwait(false);
                await client.Proxy<IEcho>().EchoAsync(new Payload("x")).ConfigureAwait(false);
                await Task.Delay(1500).ConfigureAwait(false);
                var (with, threads) = await WindowAsync(seconds).ConfigureAwait(false);
                var top = string.Join(", ", threads.OrderByDescending(t => t.Value).Take(4).Select(t => $"{t.Key} {t.Value}"));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {transport}:// | {without / (double)seconds:0.0}/s | {with / (double)seconds:0.0}/s | {(with - without) / (double)seconds:0.0}/s | {top} |"));
            });
        }
        return 0;
    }

    /// <summary>Wake-ups of all threads over the window, and per thread name (threads that lived through it).</summary>
    private static async Task<(long Total, Dictionary<string, long> ByName)> WindowAsync(int seconds)
    {
        var before = ThreadSwitches.ByThreadId();
        await Task.Delay(seconds * 1000).ConfigureAwait(false);
        var after = ThreadSwitches.ByThreadId();
        long total = 0;
        var byName = new Dictionary<string, long>();
        foreach (var (tid, thread) in after)
        {
            if (!before.TryGetValue(tid, out var old)) continue;
            var woke = thread.Voluntary - old.Voluntary;
            if (woke <= 0) continue;
            total += woke;
            byName[thread.Name] = byName.GetValueOrDefault(thread.Name) + woke;
        }
        return (total, byName);
    }

    private static string LoadAverage() => File.Exists("/proc/loadavg") ? string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ')[..3]) : "n/a";
}
