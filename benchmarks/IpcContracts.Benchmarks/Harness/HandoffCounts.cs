using System.Diagnostics;
using System.Globalization;
using System.Text;
using IpcContracts.Benchmarks.Processes;
using IpcContracts.Benchmarks.Raw;
using static IpcContracts.Benchmarks.Harness.Timing;

namespace IpcContracts.Benchmarks.Harness;

/// <summary>
/// <c>counts</c>: how many hand-offs between threads a 64 B round trip and a 24 MiB transfer cost, against the raw socket
/// baselines: thread-pool work items, context switches (a voluntary one is a thread that slept and was woken), and with
/// perf the send, receive, epoll and futex system calls, per operation in the measuring process (client) and the child
/// (server). These are counts, not times: they hardly move with the machine's load, so a change that removes a hop shows
/// on a noisy shared machine where a latency would not.
/// </summary>
internal static class HandoffCounts
{
    private const int RoundTrips = 5_000;
    /// <summary>24 MiB transfers per row (<c>--transfers N</c>; more for a profiler that needs seconds of them).</summary>
    private static int s_transfers = 3;

    private sealed record Row(string Series, string Operation, int Ops, HandoffCounters Client, HandoffCounters Server,
        Dictionary<string, long>? ClientCalls, Dictionary<string, long>? ServerCalls)
    {
        /// <summary>Bytes allocated in the window by the measuring process and by the child (all threads).</summary>
        public long ClientBytes { get; init; }

        /// <inheritdoc cref="ClientBytes"/>
        public long ServerBytes { get; init; }

        /// <summary>Median time of one operation in this window (an indication only: times are what the counts avoid).</summary>
        public double MedianUs { get; set; }

        /// <summary>The 99th percentile of the same times (shown for round trips only: a burst's mean has no tail).</summary>
        public double P99Us { get; set; }
    }

    /// <summary>Times of the operations of the window being measured (filled by the loops, read by <see cref="MeasureAsync"/>).</summary>
    private static readonly List<double> s_times = [];

    private static void Time(long start) => s_times.Add(Seconds(Stopwatch.GetTimestamp() - start) * 1e6);

    public static int Run(string[] args)
    {
        string? only = null;
        var load = 0;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--only" when i + 1 < args.Length: only = args[++i]; break;
                case "--events" when i + 1 < args.Length && int.TryParse(args[i + 1], out var e) && e is >= 1_000 and <= 1_000_000: s_events = e; i++; break;
                case "--transfers" when i + 1 < args.Length && int.TryParse(args[i + 1], out var t) && t is >= 1 and <= 1_000: s_transfers = t; i++; break;
                case "--rounds" when i + 1 < args.Length && int.TryParse(args[i + 1], out var r) && r is >= 1 and <= 1_000: s_rounds = r; i++; break;
                case "--no-bulk": s_bulk = false; break;
                case "--load" when i + 1 < args.Length && int.TryParse(args[i + 1], out var n) && n is >= 1 and <= 64: load = n; i++; break;
                default:
                    Console.Error.WriteLine("usage: counts [--load N] [--only TEXT] [--events N] [--rounds R] [--transfers T] [--no-bulk]");
                    return 2;
            }
        }
        var loadBefore = Load.Average();
        using var spinners = load > 0 ? Child.Start("child", "spin", load.ToString(CultureInfo.InvariantCulture)) : null;
        var rows = new List<Row>();
        var steps = new (string Name, Action Run)[]
        {
            ("raw-unix", () => Raw("unix", rows)),
            ("raw-tcp", () => Raw("tcp", rows)),
            ("pipe", () => Ours("pipe", rows)),
            ("tcp", () => Ours("tcp", rows)),
            ("shm", () => Ours("shm", rows)),
            ("pipe-events", () => OursEvents("pipe", rows)),
            ("tcp-events", () => OursEvents("tcp", rows)),
            ("shm-events", () => OursEvents("shm", rows)),
            ("pipe-stream-items", () => OursStreamItems("pipe", rows)),
            ("tcp-stream-items", () => OursStreamItems("tcp", rows)),
            ("shm-stream-items", () => OursStreamItems("shm", rows)),
            ("pipe-argument-items", () => OursArgumentItems("pipe", rows)),
            ("tcp-argument-items", () => OursArgumentItems("tcp", rows)),
            ("shm-argument-items", () => OursArgumentItems("shm", rows)),
        };
        foreach (var (name, run) in steps)
        {
            // A step's exact name runs that step alone ("shm": round trips only, not shm-events); other text selects by substring.
            var exact = only is not null && Array.Exists(steps, s => s.Name.Equals(only, StringComparison.OrdinalIgnoreCase));
            if (only is not null && (exact ? !name.Equals(only, StringComparison.OrdinalIgnoreCase) : !name.Contains(only, StringComparison.OrdinalIgnoreCase))) continue;
            Console.Error.Write($"  {name} ... ");
            var t = Stopwatch.StartNew();
            run();
            Console.Error.WriteLine($"{t.Elapsed.TotalSeconds:0.0} s");
        }
        Print(rows, loadBefore, Load.Average(), load);
        return 0;
    }

    // ---- series ----

    private static void Raw(string kind, List<Row> rows)
    {
        using var child = Child.Start("child", "raw", kind);
        using var socket = RawSockets.Connect(kind, child.Address);
        var buffer = new byte[64];
        async Task Loop(int n)
        {
            for (var i = 0; i < n; i++)
            {
                var start = Stopwatch.GetTimestamp();
                await RawSockets.SendAllAsync(socket, buffer).ConfigureAwait(false);
                await RawSockets.ReceiveExactlyAsync(socket, buffer).ConfigureAwait(false);
                Time(start);
            }
        }
        var warm = new WarmUp(child);
        do child.Drive($"echo-async 64 2000", () => Await(() => Loop(2000)));
        while (!warm.Done());
        rows.Add(Measure($"raw-{kind} (async socket ping-pong)", "64 B round trip", RoundTrips, child,
            () => child.Drive($"echo-async 64 {RoundTrips}", () => Await(() => Loop(RoundTrips)))));

        var bulk = Encoding.ASCII.GetBytes(new string('x', HarnessConfig.BulkSize));
        var ack = new byte[1];
        void Transfer()
        {
            child.Drive($"sink {bulk.Length}", () =>
            {
                var start = Stopwatch.GetTimestamp();
                RawSockets.SendAll(socket, bulk);
                RawSockets.ReceiveExactly(socket, ack);
                Time(start);
            });
        }
        warm = new WarmUp(child);
        do Transfer();
        while (!warm.Done());
        rows.Add(Measure($"raw-{kind} (blocking stream)", "24 MiB one way", s_transfers, child, () =>
        {
            for (var i = 0; i < s_transfers; i++) Transfer();
        }));
    }

    private static string Endpoint(string transport) => transport switch
    {
        "pipe" => $"pipe://ipccount-{Environment.ProcessId}",
        "tcp" => "tcp://127.0.0.1:0",
        _ => $"shm://ipccount-{Environment.ProcessId}",
    };

    /// <summary>Events published back to back per measured window (<c>--events N</c>; the harness's row 3 publishes 200,000).</summary>
    private static int s_events = 200_000;

    /// <summary>
    /// Bursts per event window (<c>--rounds R</c>, for a profiler that needs seconds of it): each burst is confirmed before
    /// the next, since one burst of millions would queue more than <see cref="EventDeliveryOptions.MaxQueuedBytes"/>.
    /// </summary>
    private static int s_rounds = 1;

    /// <summary>
    /// CPU and bytes per 64 B event: this process publishes <see cref="s_events"/> events back to back (as the harness's
    /// row 3 does) and the child counts them; the window ends when the child confirms the last one, so the publisher's
    /// figure includes its writer and the subscriber's the whole delivery (its reader, queue and event loop).
    /// </summary>
    private static void OursEvents(string transport, List<Row> rows)
    {
        using var child = Child.StartOurs(Endpoint(transport));
        var options = new IpcOptions { DefaultCallTimeout = TimeSpan.FromMinutes(5), DedicatedReaderThread = HarnessConfig.DedicatedReaderClient, ContinuationsOnReaderThread = HarnessConfig.ContinuationsOnReader };
        Await(async () =>
        {
            await using var client = await IpcClient.ConnectAsync(child.Address, options: options).ConfigureAwait(false);
            var echo = client.Proxy<IEcho>();
            var publisher = client.Publisher<IBenchEvents>();
            var tick = new Payload(new string('x', HarnessConfig.EventSize));
            long sent = 0;
            var warm = new WarmUp(child);
            do
            {
                for (var i = 0; i < 20_000; i++) publisher.Tick(tick);
                sent += 20_000;
                await echo.WaitForEventsAsync(sent).ConfigureAwait(false);
            }
            while (!warm.Done());
            var operation = s_rounds == 1 ? $"64 B event ({s_events:N0} back to back)" : $"64 B event ({s_rounds} x {s_events:N0} back to back)";
            rows.Add(await MeasureAsync($"{transport}://", operation, s_events * s_rounds, child, async () =>
            {
                for (var round = 0; round < s_rounds; round++)
                {
                    var start = Stopwatch.GetTimestamp();
                    for (var i = 0; i < s_events; i++) publisher.Tick(tick);
                    sent += s_events;
                    Check(await echo.WaitForEventsAsync(sent).ConfigureAwait(false) >= sent, "event count");
                    s_times.Add(Seconds(Stopwatch.GetTimestamp() - start) * 1e6 / s_events); // mean time per event of the burst
                }
            }).ConfigureAwait(false));
            // With the warm-up: what a profile of the whole run divides its samples by.
            Console.Error.Write($"{sent:N0} events in all ... ");
        });
    }

    /// <summary>
    /// CPU and bytes per 64 B stream item, beside the events series: the child's handler yields <see cref="s_events"/>
    /// payloads (<c>IEcho.StreamAsync</c>, as the harness's row 3b) and this process reads them with <c>await foreach</c>; the
    /// window ends with the stream's end. Here the child produces (its CPU is the "server" figure) and this process
    /// consumes, the reverse of the events series, so compare producer with publisher and consumer with subscriber.
    /// </summary>
    private static void OursStreamItems(string transport, List<Row> rows)
    {
        using var child = Child.StartOurs(Endpoint(transport));
        var options = new IpcOptions { DefaultCallTimeout = TimeSpan.FromMinutes(5), DedicatedReaderThread = HarnessConfig.DedicatedReaderClient, ContinuationsOnReaderThread = HarnessConfig.ContinuationsOnReader };
        Await(async () =>
        {
            await using var client = await IpcClient.ConnectAsync(child.Address, options: options).ConfigureAwait(false);
            var echo = client.Proxy<IEcho>();
            long received = 0;
            var warm = new WarmUp(child);
            do
            {
                await foreach (var _ in echo.StreamAsync(20_000, HarnessConfig.EventSize).ConfigureAwait(false)) received++;
            }
            while (!warm.Done());
            var operation = s_rounds == 1 ? $"64 B stream item ({s_events:N0} in one stream)" : $"64 B stream item ({s_rounds} x {s_events:N0} in one stream)";
            rows.Add(await MeasureAsync($"{transport}://", operation, s_events * s_rounds, child, async () =>
            {
                for (var round = 0; round < s_rounds; round++)
                {
                    var start = Stopwatch.GetTimestamp();
                    long items = 0;
                    await foreach (var _ in echo.StreamAsync(s_events, HarnessConfig.EventSize).ConfigureAwait(false)) items++;
                    Check(items == s_events, "stream item count");
                    received += items;
                    s_times.Add(Seconds(Stopwatch.GetTimestamp() - start) * 1e6 / s_events); // mean time per item of the stream
                }
            }).ConfigureAwait(false));
            Console.Error.Write($"{received:N0} items in all ... ");
        });
    }

    /// <summary>Whether the round-trip series also measures the 24 MiB transfers (<c>--no-bulk</c>: round trips only, for a profile of them).</summary>
    private static bool s_bulk = true;

    /// <summary>
    /// As <see cref="OursStreamItems"/> the other way: this process passes <see cref="s_events"/> payloads as an argument
    /// stream (<c>IEcho.SinkItemsAsync</c>, an iterator that is mostly synchronous, as the server's StreamAsync is) and the
    /// child's handler reads them; the window ends with the handler's count. Here this process produces and the child consumes.
    /// </summary>
    private static void OursArgumentItems(string transport, List<Row> rows)
    {
        using var child = Child.StartOurs(Endpoint(transport));
        var options = new IpcOptions { DefaultCallTimeout = TimeSpan.FromMinutes(5), DedicatedReaderThread = HarnessConfig.DedicatedReaderClient, ContinuationsOnReaderThread = HarnessConfig.ContinuationsOnReader };
        static async IAsyncEnumerable<Payload> Items(int count)
        {
            var payload = new Payload(new string('x', HarnessConfig.EventSize));
            for (var i = 0; i < count; i++)
            {
                if ((i & 4095) == 4095) await Task.Yield();
                yield return payload;
            }
        }
        Await(async () =>
        {
            await using var client = await IpcClient.ConnectAsync(child.Address, options: options).ConfigureAwait(false);
            var echo = client.Proxy<IEcho>();
            long sent = 0;
            var warm = new WarmUp(child);
            do
            {
                Check(await echo.SinkItemsAsync(Items(20_000)).ConfigureAwait(false) == 20_000, "argument item count");
                sent += 20_000;
            }
            while (!warm.Done());
            var operation = s_rounds == 1 ? $"64 B argument item ({s_events:N0} in one stream)" : $"64 B argument item ({s_rounds} x {s_events:N0} in one stream)";
            rows.Add(await MeasureAsync($"{transport}://", operation, s_events * s_rounds, child, async () =>
            {
                for (var round = 0; round < s_rounds; round++)
                {
                    var start = Stopwatch.GetTimestamp();
                    Check(await echo.SinkItemsAsync(Items(s_events)).ConfigureAwait(false) == s_events, "argument item count");
                    sent += s_events;
                    s_times.Add(Seconds(Stopwatch.GetTimestamp() - start) * 1e6 / s_events); // mean time per item of the stream
                }
            }).ConfigureAwait(false));
            Console.Error.Write($"{sent:N0} items in all ... ");
        });
    }

    private static void Ours(string transport, List<Row> rows)
    {
        var endpoint = Endpoint(transport);
        using var child = Child.StartOurs(endpoint);
        var options = new IpcOptions { DefaultCallTimeout = TimeSpan.FromMinutes(5), DedicatedReaderThread = HarnessConfig.DedicatedReaderClient, ContinuationsOnReaderThread = HarnessConfig.ContinuationsOnReader };
        Await(async () =>
        {
            await using var client = await IpcClient.ConnectAsync(child.Address, options: options).ConfigureAwait(false);
            var echo = client.Proxy<IEcho>();
            var payload = new Payload(new string('x', 64));
            var warm = new WarmUp(child);
            do
            {
                for (var i = 0; i < 2000; i++) await echo.EchoAsync(payload).ConfigureAwait(false);
            }
            while (!warm.Done());
            // --rounds R repeats the window R times (for a profiler that needs seconds of round trips).
            rows.Add(await MeasureAsync($"{transport}://", "64 B round trip", RoundTrips * s_rounds, child, async () =>
            {
                for (var i = 0; i < RoundTrips * s_rounds; i++)
                {
                    var start = Stopwatch.GetTimestamp();
                    await echo.EchoAsync(payload).ConfigureAwait(false);
                    Time(start);
                }
            }).ConfigureAwait(false));
            Console.Error.Write($"{RoundTrips * s_rounds:N0} measured round trips ... ");
            if (!s_bulk) return;

            var bytes = Encoding.ASCII.GetBytes(new string('x', HarnessConfig.BulkSize));
            // Warmed up like the round trips, until neither process compiles: one transfer left the tier-up of the per-chunk
            // path to the measured window (a profile of 60 Stream transfers after one warm-up had a fifth of the sender's
            // samples in the JIT).
            warm = new WarmUp(child);
            do Check(await echo.SinkBytesAsync(bytes).ConfigureAwait(false) == bytes.Length, "bytes length");
            while (!warm.Done());
            rows.Add(await MeasureAsync($"{transport}://", "24 MiB one way, ReadOnlyMemory<byte>", s_transfers, child, async () =>
            {
                for (var i = 0; i < s_transfers; i++)
                {
                    var start = Stopwatch.GetTimestamp();
                    Check(await echo.SinkBytesAsync(bytes).ConfigureAwait(false) == bytes.Length, "bytes length");
                    Time(start);
                }
            }).ConfigureAwait(false));

            warm = new WarmUp(child);
            do Check(await echo.SinkStreamAsync(new MemoryStream(bytes, writable: false)).ConfigureAwait(false) == bytes.Length, "stream length");
            while (!warm.Done());
            rows.Add(await MeasureAsync($"{transport}://", "24 MiB one way, Stream", s_transfers, child, async () =>
            {
                for (var i = 0; i < s_transfers; i++)
                {
                    var start = Stopwatch.GetTimestamp();
                    Check(await echo.SinkStreamAsync(new MemoryStream(bytes, writable: false)).ConfigureAwait(false) == bytes.Length, "stream length");
                    Time(start);
                }
            }).ConfigureAwait(false));
        });
    }

    // ---- one window ----

    private static Row Measure(string series, string operation, int ops, Child child, Action body) =>
        MeasureAsync(series, operation, ops, child, () =>
        {
            body();
            return Task.CompletedTask;
        }).GetAwaiter().GetResult();

    private static async Task<Row> MeasureAsync(string series, string operation, int ops, Child child, Func<Task> body)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        child.Mark();
        using var localCalls = SyscallCounter.Start(Environment.ProcessId);
        using var childCalls = SyscallCounter.Start(child.Pid);
        s_times.Clear();
        // The allocation counter inside the hand-off counters: reading /proc/self/task/* allocates some 350 KB of buffers
        // and strings each time, which counted 3.5 B per event of a 200,000-event window on the publisher's side.
        var before = HandoffCounters.Now();
        var bytesBefore = GC.GetTotalAllocatedBytes(precise: true);
        await body().ConfigureAwait(false);
        var clientBytes = GC.GetTotalAllocatedBytes(precise: true) - bytesBefore;
        var client = HandoffCounters.Now().Since(before);
        var server = child.Counts();
        var serverBytes = child.Stats().AllocatedBytes;
        return new Row(series, operation, ops, client, server, localCalls?.Stop(), childCalls?.Stop())
        {
            MedianUs = s_times.Count == 0 ? double.NaN : Median(s_times), P99Us = s_times.Count < 100 ? double.NaN : P99(s_times), ClientBytes = clientBytes, ServerBytes = serverBytes,
        };
    }

    private static double P99(List<double> values)
    {
        var sorted = values.ToArray();
        Array.Sort(sorted);
        return sorted[(int)Math.Min(sorted.Length - 1, Math.Ceiling(sorted.Length * 0.99) - 1)];
    }

    // ---- report ----

    private static void Print(List<Row> rows, double loadBefore, double loadAfter, int load)
    {
        Console.WriteLine();
        Console.WriteLine($"Hand-off counts: {Environment.ProcessorCount} CPUs, .NET {Environment.Version}; {RoundTrips:N0} round trips, {s_transfers} transfers per row; " +
                          $"load average {loadBefore:0.00} before, {loadAfter:0.00} after; " + (load > 0 ? $"loaded: --load {load}" : "quiet: no --load"));
        Console.WriteLine("Per operation, client + server. CPU = user + system time of the process, work items (thread pool), vcs / ics = voluntary / involuntary context switches (all threads), " +
                          "send / recv = socket send / receive system calls, epoll = epoll waits, futex = futex calls, yield = sched_yield calls (perf; n/a without it), GCs = garbage collections and their pause, " +
                          "bytes = allocated (GC.GetTotalAllocatedBytes, all threads). An event or stream item row's time is the mean per event (item) of the whole burst (stream); " +
                          "in a stream item row the client consumes and the server produces.");
        Console.WriteLine();
        Console.WriteLine("| series | operation | median time | CPU | bytes | work items | vcs | ics | send | recv | epoll | futex | yield | GCs (pause ms) | voluntary switches by thread (client; server) |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
        foreach (var r in rows)
        {
            string Pair(double c, double s) => $"{Num(c / r.Ops)} + {Num(s / r.Ops)}";
            string Calls(params string[] names) => r.ClientCalls is null || r.ServerCalls is null || r.ClientCalls.Count == 0
                ? "n/a"
                : Pair(names.Sum(n => r.ClientCalls.GetValueOrDefault(n)), names.Sum(n => r.ServerCalls.GetValueOrDefault(n)));
            string Threads(HandoffCounters c) => string.Join(", ", c.ByThread.Where(t => t.Value.Voluntary >= r.Ops / 10.0 && t.Value.Voluntary > 0)
                .OrderByDescending(t => t.Value.Voluntary).Take(3).Select(t => $"{t.Key.Replace('_', ' ')} {Num(t.Value.Voluntary / (double)r.Ops)}"));
            Console.WriteLine($"| {r.Series} | {r.Operation} | {(r.MedianUs >= 1000 ? Num(r.MedianUs / 1000) + " ms" : Num(r.MedianUs) + " µs")}{(r.Operation.EndsWith("round trip", StringComparison.Ordinal) && !double.IsNaN(r.P99Us) ? $" (p99 {Num(r.P99Us)} µs)" : "")} | {Pair(r.Client.CpuUs, r.Server.CpuUs)} µs | {Pair(r.ClientBytes, r.ServerBytes)} B | {Pair(r.Client.WorkItems, r.Server.WorkItems)} | {Pair(r.Client.Voluntary, r.Server.Voluntary)} | " +
                              $"{Pair(r.Client.Involuntary, r.Server.Involuntary)} | {Calls("sendto", "sendmsg", "write", "writev")} | {Calls("recvfrom", "recvmsg", "read", "readv")} | " +
                              $"{Calls("epoll_wait", "epoll_pwait")} | {Calls("futex")} | {Calls("sched_yield")} | {Pair(r.Client.Collections, r.Server.Collections)} ({Pair(r.Client.PauseMs, r.Server.PauseMs)}) | {Threads(r.Client)}; {Threads(r.Server)} |");
        }
    }

    private static string Num(double v) => v switch
    {
        0 => "0",
        >= 100 => v.ToString("0", CultureInfo.InvariantCulture),
        >= 10 => v.ToString("0.0", CultureInfo.InvariantCulture),
        >= 1 => v.ToString("0.00", CultureInfo.InvariantCulture),
        _ => v.ToString("0.000", CultureInfo.InvariantCulture), // per-event CPU: nanoseconds count
    };

    private static void Check(bool condition, string what)
    {
        if (!condition) throw new InvalidOperationException($"Sanity check failed: {what}.");
    }
}
