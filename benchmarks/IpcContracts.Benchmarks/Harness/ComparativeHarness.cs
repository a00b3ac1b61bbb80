using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using HdrHistogram;
using IpcContracts.Benchmarks.Dispatch;
using IpcContracts.Benchmarks.Processes;
using IpcContracts.Benchmarks.Raw;
using StreamJsonRpc;
using static IpcContracts.Benchmarks.Harness.Timing;

namespace IpcContracts.Benchmarks.Harness;

/// <summary>
/// The side-by-side run behind <c>--quick</c>: every figure of the table is measured here, one measurement
/// after the other (never two at once: with two cores, anything running beside a spinning shared-memory
/// reader distorts it), each remote one against a child process started for it and stopped after it.
/// </summary>
internal static partial class ComparativeHarness
{
    /// <param name="load">
    /// <c>--load N</c>: N CPU-bound spinner threads in a separate process at normal priority for the whole run, so the
    /// loaded figures are reproducible instead of depending on whatever else the machine runs.
    /// </param>
    public static int Run(HarnessConfig config, string? only = null, int load = 0)
    {
        s_only = only;
        var clock = Stopwatch.StartNew();
        var r = new Results { LoadBefore = Load.Average(), Spinners = load };
        if (r.LoadBefore > Environment.ProcessorCount / 2.0)
            Console.Error.WriteLine($"  warning: load average {r.LoadBefore:0.0} on {Environment.ProcessorCount} CPUs: other processes will distort these figures");
        using var spinners = load > 0 ? Child.Start("child", "spin", load.ToString(System.Globalization.CultureInfo.InvariantCulture)) : null;
        if (spinners is not null) Console.Error.WriteLine($"  --load {load}: {spinners.Address} running for the whole run");
        Step("1. dispatch in one process (generated vs seed-000 reflection)", () => InProcessDispatch(config, r));
        Step("1. first dispatch inside a fresh JIT process", () => FirstCalls(config, r));
        Step("1. process start to first answered request (ours Native AOT, seed-000 JIT, ours JIT)", () => StartToFirstAnswer(config, r));
        Step("2-4. raw Unix socket", () => RawSocket("unix", config, r));
        Step("2-4. raw TCP", () => RawSocket("tcp", config, r));
        Step("2-4. raw shared-memory ring", () => RawShm(config, r));
        Step("2-4. pipe://", () => Ours("pipe", config, r, full: true));
        Step("2-4. tcp://", () => Ours("tcp", config, r, full: true));
        Step("2-4. shm://", () => Ours("shm", config, r, full: true));
        Step("2b/3c. pipe:// paired with the raw Unix socket", () => PairedRows("pipe", config, r));
        Step("2b/3c. tcp:// paired with raw TCP", () => PairedRows("tcp", config, r));
        Step("2b/3c. shm:// paired with the raw shared-memory ring", () => PairedRows("shm", config, r));
        Step("2. shm:// without spinning", () => Ours("shm", config, r, full: false, spin: 0));
        Step("2. StreamJsonRpc", () => StreamJsonRpcRoundTrips(config, r));
        Step("3. serialize-only loop", () => SerializeOnly(config, r));
        Step("4. memcpy and JSON only", () => Memcpy(config, r));
        Step("5. payload object size", () => PayloadObjectSize(r));
        Step("6. nats:// against raw NATS.Client.Core on the same broker", () => Nats(config, r));
        r.LoadAfter = Load.Average();
        Report.Print(config, r, clock.Elapsed);
        if (FailedSteps.Count == 0) return 0;
        Console.Error.WriteLine($"{FailedSteps.Count} step(s) failed, their rows are missing: {string.Join("; ", FailedSteps)}");
        return 1;
    }

    private static string? s_only;

    /// <summary>Steps that threw; the run still reports the others and exits non-zero.</summary>
    public static List<string> FailedSteps { get; } = [];

    private static void Step(string name, Action step)
    {
        if (s_only is not null && !name.Contains(s_only, StringComparison.OrdinalIgnoreCase)) return;
        var t = Stopwatch.StartNew();
        Console.Error.Write($"  {name} ... ");
        try
        {
            step();
            Console.Error.WriteLine($"{t.Elapsed.TotalSeconds:0.0} s");
        }
        catch (Exception e)
        {
            // One failed step (a broker that stopped answering under load, say) must not lose the rows of the others: its
            // rows stay empty, the failure is printed here and counted in the exit code.
            Console.Error.WriteLine($"FAILED after {t.Elapsed.TotalSeconds:0.0} s: {e.GetType().Name}: {e.Message}");
            FailedSteps.Add(name);
        }
    }

    private static string Text(int size) => new('x', size);

    private static string BulkText()
    {
        const string alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
        return string.Create(HarnessConfig.BulkSize, 0, (span, _) =>
        {
            for (var i = 0; i < span.Length; i++) span[i] = alphabet[i % alphabet.Length];
        });
    }

    // ---- 1. dispatch in one process ----

    private static void InProcessDispatch(HarnessConfig config, Results r)
    {
        var service = new BenchService();
        var seed = new SeedPath(service);
        var data = Text(64);
        var generatedRequest = GeneratedPath.RequestFrame(data);
        var generatedEvent = GeneratedPath.EventFrame(data);
        var seedRequest = SeedPath.RequestFrame(data);
        var seedEvent = SeedPath.EventFrame(data);

        // Both paths must really do the work: the replies carry the payload back.
        var reply = GeneratedPath.DispatchRequest(generatedRequest, service);
        Check(Encoding.UTF8.GetString(reply.Span).Contains(data), "generated reply");
        reply.Return();
        Check(Encoding.UTF8.GetString(seed.DispatchRequest(seedRequest)).Contains(data), "seed reply");
        var before = service.Events;
        GeneratedPath.DispatchEvent(generatedEvent, service);
        seed.DispatchEvent(seedEvent);
        Check(service.Events == before + 2, "event delivery");

        r.GeneratedRequest = PerOperation(config.DispatchOps, () => GeneratedPath.DispatchRequest(generatedRequest, service).Return());
        r.SeedRequest = PerOperation(config.DispatchOps / 10, () => seed.DispatchRequest(seedRequest));
        r.GeneratedEvent = PerOperation(config.DispatchOps, () => GeneratedPath.DispatchEvent(generatedEvent, service));
        r.SeedEvent = PerOperation(config.DispatchOps / 10, () => seed.DispatchEvent(seedEvent));
    }

    /// <summary>Median over 5 batches of time per operation, and allocated bytes per operation (this thread).</summary>
    private static (double Ns, double Bytes) PerOperation(int ops, Action op)
    {
        var warm = new WarmUp(null); // tiered JIT, pools, caches
        do
        {
            for (var i = 0; i < ops / 10; i++) op();
        }
        while (!warm.Done());
        Settle();
        var times = new List<double>();
        var bytes = double.MaxValue;
        for (var batch = 0; batch < 5; batch++)
        {
            var allocated = GC.GetAllocatedBytesForCurrentThread();
            var start = Stopwatch.GetTimestamp();
            for (var i = 0; i < ops; i++) op();
            var ticks = Stopwatch.GetTimestamp() - start;
            bytes = Math.Min(bytes, (GC.GetAllocatedBytesForCurrentThread() - allocated) / (double)ops);
            times.Add(Seconds(ticks) * 1e9 / ops);
        }
        return (Median(times), bytes);
    }

    private static void FirstCalls(HarnessConfig config, Results r)
    {
        for (var i = 0; i < config.FirstCallRuns; i++)
        {
            foreach (var json in new[] { "cold", "json-warm" })
            {
                foreach (var path in new[] { "generated", "reflection" })
                {
                    using var child = Child.Start("child", "first-call", path, json);
                    r.FirstCall[(path, json)].Add(double.Parse(child.Address, System.Globalization.CultureInfo.InvariantCulture));
                }
            }
        }
    }

    /// <summary>
    /// Whole client processes, each started, connected, answered once and gone: our client published as Native AOT, the
    /// seed-000 design's client run JIT (the only way it can run), and our client run JIT as a reference. Each design's
    /// client talks to a server of its own design (FirstCall / SeedFirstCall in server mode, a child each), over a Unix
    /// socket: pipe:// for ours, the seed's named pipe for the seed. The clients take turns, so load drifts reach all three.
    /// </summary>
    private static void StartToFirstAnswer(HarnessConfig config, Results r)
    {
        var oursJit = FirstCallClients.JitBuild(FirstCallClients.Project);
        var seedJit = FirstCallClients.JitBuild(FirstCallClients.SeedProject);
        string? oursAot = null;
        Exception? publishFailure = null;
        try
        {
            var (binary, reused) = FirstCallClients.PublishAot();
            oursAot = binary;
            r.AotClientBytes = new FileInfo(binary).Length;
            Console.Error.Write(reused ? "(Native AOT client up to date) " : "(Native AOT client published) ");
        }
        catch (Exception e) when (e is InvalidOperationException or TimeoutException or IOException or System.ComponentModel.Win32Exception)
        {
            // The JIT rows are still measured; the step fails at its end with this message.
            publishFailure = e;
            Console.Error.Write("(Native AOT publish failed; measuring the JIT clients) ");
        }

        using var ours = Child.StartProgram(oursJit, "serve", $"pipe://ipcbench-first-{Environment.ProcessId}");
        using var seed = Child.StartProgram(seedJit, "serve", $"ipcbench-seed-{Environment.ProcessId}");
        var clients = new List<(string Series, string Path, string Address)> { ("seed-jit", seedJit, seed.Address), ("ours-jit", oursJit, ours.Address) };
        if (oursAot is not null) clients.Insert(0, ("ours-aot", oursAot, ours.Address));

        // One unmeasured client each: the servers compile their side of a first request, the OS caches the binaries.
        foreach (var (_, path, address) in clients) FirstCallClients.Run(path, address);
        for (var i = 0; i < config.StartupRuns; i++)
        {
            foreach (var (series, path, address) in clients)
            {
                Thread.Sleep(20); // the previous client's connection is torn down on the server before the next starts
                r.StartToAnswer[series].Add(FirstCallClients.Run(path, address));
            }
        }
        if (publishFailure is not null)
            throw new InvalidOperationException($"the 'ours Native AOT' row is missing: {publishFailure.Message}", publishFailure);
    }

    // ---- raw baselines ----

    private static void RawSocket(string kind, HarnessConfig config, Results r)
    {
        using var child = Child.Start("child", "raw", kind);
        using var socket = RawSockets.Connect(kind, child.Address);
        foreach (var size in HarnessConfig.Sizes)
        {
            var buffer = new byte[size];
            foreach (var mode in new[] { "block", "async" })
            {
                Func<LongHistogram?, int, Task> loop = mode == "block"
                    ? (h, n) => { EchoBlocking(socket, buffer, n, h); return Task.CompletedTask; }
                    : (h, n) => EchoAsync(socket, buffer, n, h);
                var warm = new WarmUp(child);
                do child.Drive($"echo-{mode} {size} {config.RoundTripWarmup}", () => Await(() => loop(null, config.RoundTripWarmup)));
                while (!warm.Done());
                var h = NewHistogram();
                var cost = Metered(child, config.RoundTrips,
                    () => child.Drive($"echo-{mode} {size} {config.RoundTrips}", () => Await(() => loop(h, config.RoundTrips))));
                r.RoundTrip[($"raw-{kind}-{mode}", size)] = Latency.From(h);
                r.RoundTripCost[($"raw-{kind}-{mode}", size)] = cost;
            }
        }

        // 3. one-way 64 B messages, one send() per message, counted by the child.
        var message = new byte[HarnessConfig.EventSize];
        var ack = new byte[1];
        void Burst(int n) => SocketBurst(socket, message, ack, n);
        var warmEvents = new WarmUp(child);
        do child.Drive($"sink {(long)config.EventWarmup * message.Length}", () => Burst(config.EventWarmup));
        while (!warmEvents.Done());
        long ticks = 0;
        var eventCost = Metered(child, config.Events, () => child.Drive($"sink {(long)config.Events * message.Length}", () =>
        {
            var start = Stopwatch.GetTimestamp();
            Burst(config.Events);
            ticks = Stopwatch.GetTimestamp() - start;
        }));
        r.EventsPerSecond[$"raw-{kind}"] = config.Events / Seconds(ticks);
        r.EventCost[$"raw-{kind}"] = eventCost;

        // 4. the 24 MiB payload's bytes as one stream.
        var bulk = Encoding.ASCII.GetBytes(BulkText());
        var times = new List<double>();
        for (var i = 0; i <= config.BulkRuns; i++)
        {
            long t = 0;
            Settle();
            child.Drive($"sink {bulk.Length}", () =>
            {
                var start = Stopwatch.GetTimestamp();
                RawSockets.SendAll(socket, bulk);
                RawSockets.ReceiveExactly(socket, ack);
                t = Stopwatch.GetTimestamp() - start;
            });
            if (i > 0) times.Add(Seconds(t)); // the first transfer is a warm-up
        }
        r.BulkSeconds[$"raw-{kind}"] = Median(times);
    }

    private static void EchoBlocking(Socket socket, byte[] buffer, int n, LongHistogram? h)
    {
        for (var i = 0; i < n; i++)
        {
            var start = Stopwatch.GetTimestamp();
            RawSockets.SendAll(socket, buffer);
            RawSockets.ReceiveExactly(socket, buffer);
            h?.RecordValue(Stopwatch.GetTimestamp() - start);
        }
    }

    /// <summary>The raw ring's ping-pong: <paramref name="n"/> round trips of <paramref name="buffer"/>, spinning on both sides.</summary>
    private static void EchoRing(RawRing tx, RawRing rx, byte[] buffer, int n, LongHistogram? h)
    {
        for (var i = 0; i < n; i++)
        {
            var start = Stopwatch.GetTimestamp();
            tx.Write(buffer);
            rx.ReadExactly(buffer);
            h?.RecordValue(Stopwatch.GetTimestamp() - start);
        }
    }

    /// <summary>
    /// <paramref name="n"/> one-way messages, one send() each, then the child's one-byte acknowledgement of the last
    /// (the child runs <c>sink</c> for their total).
    /// </summary>
    private static void SocketBurst(Socket socket, byte[] message, byte[] ack, int n)
    {
        for (var i = 0; i < n; i++) RawSockets.SendAll(socket, message);
        RawSockets.ReceiveExactly(socket, ack);
    }

    /// <summary>As <see cref="SocketBurst"/> over the raw ring: one write per message.</summary>
    private static void RingBurst(RawRing tx, RawRing rx, byte[] message, byte[] ack, int n)
    {
        for (var i = 0; i < n; i++) tx.Write(message);
        rx.ReadExactly(ack);
    }

    private static async Task EchoAsync(Socket socket, byte[] buffer, int n, LongHistogram? h)
    {
        for (var i = 0; i < n; i++)
        {
            var start = Stopwatch.GetTimestamp();
            await RawSockets.SendAllAsync(socket, buffer).ConfigureAwait(false);
            await RawSockets.ReceiveExactlyAsync(socket, buffer).ConfigureAwait(false);
            h?.RecordValue(Stopwatch.GetTimestamp() - start);
        }
    }

    private static void RawShm(HarnessConfig config, Results r)
    {
        using var child = Child.Start("child", "raw", "shm");
        using var segment = RawShmSegment.Open(child.Address);
        File.Delete(child.Address); // both sides have it mapped; nothing stays in /dev/shm
        var tx = segment.Ring(0);
        var rx = segment.Ring(1);
        foreach (var size in HarnessConfig.Sizes)
        {
            var buffer = new byte[size];
            void Loop(int n, LongHistogram? h) => EchoRing(tx, rx, buffer, n, h);
            var warm = new WarmUp(child);
            do child.Drive($"echo {size} {config.RoundTripWarmup}", () => Loop(config.RoundTripWarmup, null));
            while (!warm.Done());
            var h = NewHistogram();
            var cost = Metered(child, config.RoundTrips, () => child.Drive($"echo {size} {config.RoundTrips}", () => Loop(config.RoundTrips, h)));
            r.RoundTrip[("raw-shm", size)] = Latency.From(h);
            r.RoundTripCost[("raw-shm", size)] = cost;
        }

        var message = new byte[HarnessConfig.EventSize];
        var ack = new byte[1];
        void Burst(int n) => RingBurst(tx, rx, message, ack, n);
        var warmEvents = new WarmUp(child);
        do child.Drive($"sink {(long)config.EventWarmup * message.Length}", () => Burst(config.EventWarmup));
        while (!warmEvents.Done());
        long ticks = 0;
        var eventCost = Metered(child, config.Events, () => child.Drive($"sink {(long)config.Events * message.Length}", () =>
        {
            var start = Stopwatch.GetTimestamp();
            Burst(config.Events);
            ticks = Stopwatch.GetTimestamp() - start;
        }));
        r.EventsPerSecond["raw-shm"] = config.Events / Seconds(ticks);
        r.EventCost["raw-shm"] = eventCost;

        var bulk = Encoding.ASCII.GetBytes(BulkText());
        var times = new List<double>();
        for (var i = 0; i <= config.BulkRuns; i++)
        {
            long t = 0;
            Settle();
            child.Drive($"sink {bulk.Length}", () =>
            {
                var start = Stopwatch.GetTimestamp();
                tx.Write(bulk);
                rx.ReadExactly(ack);
                t = Stopwatch.GetTimestamp() - start;
            });
            if (i > 0) times.Add(Seconds(t));
        }
        r.BulkSeconds["raw-shm"] = Median(times);
    }

    // ---- IpcContracts ----

    private static void Ours(string transport, HarnessConfig config, Results r, bool full, int? spin = null, string? endpointOverride = null, bool bulk = true)
    {
        var defaults = new IpcOptions();
        var spinCount = spin ?? defaults.SharedMemory.SpinCount;
        var series = spin is null ? transport : $"{transport}-spin{spinCount}";
        var endpoint = endpointOverride ?? transport switch
        {
            "pipe" => $"pipe://ipcbench-{Environment.ProcessId}",
            "tcp" => "tcp://127.0.0.1:0",
            _ => $"shm://ipcbench-{Environment.ProcessId}",
        };
        using var child = Child.Start("child", "ours", endpoint, spinCount.ToString());
        var options = new IpcOptions { SharedMemory = { SpinCount = spinCount }, DefaultCallTimeout = TimeSpan.FromMinutes(5), DedicatedReaderThread = HarnessConfig.DedicatedReaderClient, ContinuationsOnReaderThread = HarnessConfig.ContinuationsOnReader };
        Await(async () =>
        {
            await using var client = await IpcClient.ConnectAsync(child.Address, options: options).ConfigureAwait(false);
            var echo = client.Proxy<IEcho>();
            foreach (var size in HarnessConfig.Sizes)
            {
                if (!full && size != 64) continue;
                var payload = new Payload(Text(size));
                var warm = new WarmUp(child);
                do
                {
                    for (var i = 0; i < config.RoundTripWarmup; i++) await echo.EchoAsync(payload).ConfigureAwait(false);
                }
                while (!warm.Done());
                var h = NewHistogram();
                child.Mark();
                var meter = LocalMeter.Start();
                for (var i = 0; i < config.RoundTrips; i++)
                {
                    var start = Stopwatch.GetTimestamp();
                    await echo.EchoAsync(payload).ConfigureAwait(false);
                    h.RecordValue(Stopwatch.GetTimestamp() - start);
                }
                var cost = Finish(meter, child, config.RoundTrips);
                r.RoundTrip[(series, size)] = Latency.From(h);
                r.RoundTripCost[(series, size)] = cost;
            }
            if (!full) return;

            // 5. bytes per round trip of the same call as a ValueTask method (IValueEcho): the proxy completes it from a
            // pooled source and the handler returns a ValueTask, so neither side needs a Task; what is left is the payload.
            if (bulk)
            {
                var valueEcho = client.Proxy<IValueEcho>();
                var valuePayload = new Payload(Text(64));
                var warmValue = new WarmUp(child);
                do
                {
                    for (var i = 0; i < config.RoundTripWarmup; i++) await valueEcho.EchoAsync(valuePayload).ConfigureAwait(false);
                }
                while (!warmValue.Done());
                child.Mark();
                var valueMeter = LocalMeter.Start();
                for (var i = 0; i < config.RoundTrips; i++) await valueEcho.EchoAsync(valuePayload).ConfigureAwait(false);
                r.RoundTripCost[(series + "-valuetask", 64)] = Finish(valueMeter, child, config.RoundTrips);
            }

            // 3. events: this process publishes, the child counts; the clock stops when the child confirms the last one.
            var publisher = client.Publisher<IBenchEvents>();
            var tick = new Payload(Text(HarnessConfig.EventSize));
            long sent = 0;
            var warmEvents = new WarmUp(child);
            do
            {
                for (var i = 0; i < config.EventWarmup; i++) publisher.Tick(tick);
                sent += config.EventWarmup;
                await echo.WaitForEventsAsync(sent).ConfigureAwait(false);
            }
            while (!warmEvents.Done());
            child.Mark();
            var eventMeter = LocalMeter.Start();
            var begin = Stopwatch.GetTimestamp();
            for (var i = 0; i < config.Events; i++) publisher.Tick(tick);
            sent += config.Events;
            var received = await echo.WaitForEventsAsync(sent).ConfigureAwait(false);
            var ticks = Stopwatch.GetTimestamp() - begin;
            r.EventCost[series] = Finish(eventMeter, child, config.Events);
            Check(received >= sent, "event count");
            r.EventsPerSecond[series] = config.Events / Seconds(ticks);
            if (!bulk) return;

            // 3b. a stream of 64 B items from the child, the same count: items/s next to events/s of the same transport.
            // Warmed up as the events are (until neither process compiles more): one short stream used to leave the
            // stream path tiering up in both processes during the measured one.
            long streamed = 0;
            var warmStream = new WarmUp(child);
            do
            {
                await foreach (var _ in echo.StreamAsync(config.EventWarmup, HarnessConfig.EventSize).ConfigureAwait(false)) streamed++;
            }
            while (!warmStream.Done());
            child.Mark();
            var streamBegin = Stopwatch.GetTimestamp();
            streamed = 0;
            await foreach (var _ in echo.StreamAsync(config.Events, HarnessConfig.EventSize).ConfigureAwait(false)) streamed++;
            var streamTicks = Stopwatch.GetTimestamp() - streamBegin;
            Check(streamed == config.Events, "stream item count");
            r.StreamItemsPerSecond[series] = config.Events / Seconds(streamTicks);

            // 4. the 24 MiB payload, one way (the reply is its length).
            // Each 24 MiB shape (4, 4b, 4c, and so 4d) is warmed up until neither process compiles more, as the round
            // trips and events are: with only one warm-up transfer, the chunk paths of a Stream ran tier-0 code in the
            // measured transfers (pipe Stream 12.7 ms in its pairs, 7.8 ms with DOTNET_TieredCompilation=0; shm 8.2 against 4.7).
            var bulkPayload = new Payload(BulkText());
            var bulkBytes = Encoding.ASCII.GetBytes(BulkText());
            await WarmTransfersAsync(child, async () => Check(await echo.SinkAsync(bulkPayload).ConfigureAwait(false) == HarnessConfig.BulkSize, "bulk length")).ConfigureAwait(false);
            await WarmTransfersAsync(child, async () => Check(await echo.SinkBytesAsync(bulkBytes).ConfigureAwait(false) == HarnessConfig.BulkSize, "bulk bytes length")).ConfigureAwait(false);
            await WarmTransfersAsync(child, async () =>
            {
                using var source = new MemoryStream(bulkBytes, writable: false);
                Check(await echo.SinkStreamAsync(source).ConfigureAwait(false) == HarnessConfig.BulkSize, "bulk stream length");
            }).ConfigureAwait(false);
            var times = new List<double>();
            for (var i = 0; i <= config.BulkRuns; i++)
            {
                child.Mark(); // collects garbage in the child
                Settle();
                var start = Stopwatch.GetTimestamp();
                var length = await echo.SinkAsync(bulkPayload).ConfigureAwait(false);
                var t = Stopwatch.GetTimestamp() - start;
                Check(length == HarnessConfig.BulkSize, "bulk length");
                if (i > 0) times.Add(Seconds(t));
            }
            r.BulkSeconds[series] = Median(times);

            // 4b. the same 24 MiB as ReadOnlyMemory<byte>: raw bytes in the frame, no JSON (docs/protocol.md 7.10).
            times.Clear();
            for (var i = 0; i <= config.BulkRuns; i++)
            {
                child.Mark();
                Settle();
                var start = Stopwatch.GetTimestamp();
                var length = await echo.SinkBytesAsync(bulkBytes).ConfigureAwait(false);
                var t = Stopwatch.GetTimestamp() - start;
                Check(length == HarnessConfig.BulkSize, "bulk bytes length");
                if (i > 0) times.Add(Seconds(t));
            }
            r.BulkSeconds[series + "-bytes"] = Median(times);

            // 4c. the same 24 MiB as a Stream argument: chunks of up to 1 MiB (pipe, tcp) or 256 KiB (shm) under the credit window (docs/protocol.md 7.9-7.10).
            times.Clear();
            for (var i = 0; i <= config.BulkRuns; i++)
            {
                child.Mark();
                Settle();
                using var source = new MemoryStream(bulkBytes, writable: false);
                var start = Stopwatch.GetTimestamp();
                var length = await echo.SinkStreamAsync(source).ConfigureAwait(false);
                var t = Stopwatch.GetTimestamp() - start;
                Check(length == HarnessConfig.BulkSize, "bulk stream length");
                if (i > 0) times.Add(Seconds(t));
            }
            r.BulkSeconds[series + "-stream"] = Median(times);

            // 4d. the same two transfers paired with their baseline, transfer by transfer: a raw socket stream of the same
            // 24 MiB to a raw child (pipe, tcp) or a memcpy into a reused array (shm) right before each. Rows 4b divide
            // medians taken minutes apart, and the load on a shared machine moves in between (1.3x-1.9x between runs of one
            // build); a pair sees the same moment, so the median of the pairs' ratios is the steadier figure.
            if (spin is null && endpointOverride is null) await PairedBulkAsync(transport, config, r, child, echo, bulkBytes, bulkPayload).ConfigureAwait(false);
        });
    }

    /// <remarks>
    /// Asynchronous throughout: after an await this may run on shm's reader thread (IpcOptions.ContinuationsOnReaderThread),
    /// where waiting synchronously for a reply that only that thread can read would wedge the connection. The baseline's
    /// blocking transfer runs on a thread of its own, not the pool's: a pool thread blocked for a whole 24 MiB send made the
    /// pool add threads, and the pipe `Stream` transfer right after it, which hands off between pool threads per chunk,
    /// took 16 ms against 10 ms with the baseline on its own thread (two runs each, quiet).
    /// </remarks>
    private static async Task PairedBulkAsync(string transport, HarnessConfig config, Results r, Child child, IEcho echo, byte[] bulkBytes, Payload bulkPayload)
    {
        var jsonOnly = new JsonOnlyTransfer(bulkPayload);
        var kind = transport switch { "pipe" => "unix", "tcp" => "tcp", _ => null };
        using var rawChild = kind is null ? null : Child.Start("child", "raw", kind);
        using var socket = kind is null ? null : RawSockets.Connect(kind, rawChild!.Address);
        var destination = kind is null ? new byte[bulkBytes.Length] : null;
        var ack = new byte[1];
        double Baseline()
        {
            Settle();
            long t = 0;
            if (socket is not null)
            {
                rawChild!.Drive($"sink {bulkBytes.Length}", () =>
                {
                    var start = Stopwatch.GetTimestamp();
                    RawSockets.SendAll(socket, bulkBytes);
                    RawSockets.ReceiveExactly(socket, ack);
                    t = Stopwatch.GetTimestamp() - start;
                });
            }
            else
            {
                var start = Stopwatch.GetTimestamp();
                bulkBytes.AsSpan().CopyTo(destination);
                t = Stopwatch.GetTimestamp() - start;
            }
            return Seconds(t);
        }
        // Seconds, and the minor page faults of the receiving child and of this (sending) process during the transfer (-1
        // where they cannot be read). The sender's count tells whether its frame buffer came from the pool or was new.
        async Task<(double Seconds, long Faults, long SenderFaults)> OursTime(Func<Task<long>> transfer)
        {
            child.Mark();
            Settle();
            var faultsBefore = child.MinorFaults();
            var senderBefore = Child.MinorFaults(Environment.ProcessId);
            var start = Stopwatch.GetTimestamp();
            var length = await transfer().ConfigureAwait(false);
            var t = Stopwatch.GetTimestamp() - start;
            var senderAfter = Child.MinorFaults(Environment.ProcessId);
            var faultsAfter = child.MinorFaults();
            Check(length == HarnessConfig.BulkSize, "paired bulk length");
            return (Seconds(t), faultsBefore < 0 || faultsAfter < 0 ? -1 : faultsAfter - faultsBefore,
                senderBefore < 0 || senderAfter < 0 ? -1 : senderAfter - senderBefore);
        }
        var bytes = new List<(double, double)>();
        var stream = new List<(double, double)>();
        // The page faults of each counted transfer, receiver's and sender's, under "transport-shape" (a count that could not
        // be read is left out); a run's lists replace an earlier run's.
        foreach (var shape in new[] { "-bytes", "-stream", "-json" })
        {
            r.BulkFaults[transport + shape] = [];
            r.BulkSenderFaults[transport + shape] = [];
        }
        void KeepFaults(string shape, long faults, long senderFaults)
        {
            if (faults >= 0) r.BulkFaults[transport + shape].Add(faults);
            if (senderFaults >= 0) r.BulkSenderFaults[transport + shape].Add(senderFaults);
        }
        var runs = Math.Max(PairedBulkRuns, config.BulkRuns);
        for (var i = 0; i <= runs; i++)
        {
            var baseline = await Task.Factory.StartNew(Baseline, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).ConfigureAwait(false);
            var b = await OursTime(async () => await echo.SinkBytesAsync(bulkBytes).ConfigureAwait(false)).ConfigureAwait(false);
            var baseline2 = await Task.Factory.StartNew(Baseline, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).ConfigureAwait(false);
            var st = await OursTime(() =>
            {
                var source = new MemoryStream(bulkBytes, writable: false);
                return echo.SinkStreamAsync(source);
            }).ConfigureAwait(false);
            if (i == 0) continue; // warm-up: the raw child's first transfer, and the pairs' first GC state
            bytes.Add((b.Seconds, baseline));
            stream.Add((st.Seconds, baseline2));
            KeepFaults("-bytes", b.Faults, b.SenderFaults);
            KeepFaults("-stream", st.Faults, st.SenderFaults);
        }
        r.BulkPairs[transport + "-bytes"] = bytes;
        r.BulkPairs[transport + "-stream"] = stream;
        if (kind is null) return;

        // Row 4's JSON payload over pipe and tcp, in a loop of its own (interleaved with the binary transfers above, the
        // receiver's heap was in another state each time: 55 ms per transfer against 22 ms alone, one run). Its transport
        // share is the transfer less the JSON work of the same call without a transport, timed in this process right after
        // it (#16: within 2x the raw stream, JSON-only cost aside). Row 4 is one transfer per run; this is the median of pairs.
        var json = new List<(double, double, double)>();
        for (var i = 0; i <= runs; i++)
        {
            var baseline = await Task.Factory.StartNew(Baseline, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).ConfigureAwait(false);
            var ours = await OursTime(async () => await echo.SinkAsync(bulkPayload).ConfigureAwait(false)).ConfigureAwait(false);
            // The least of three: measured once right after a collection, the JSON work alone took 22-33 ms against 8 ms in
            // step 4 (its new 48 MiB string faulted in), more than some whole transfers, and the share came out negative.
            Settle();
            var alone = Math.Min(jsonOnly.Seconds(), Math.Min(jsonOnly.Seconds(), jsonOnly.Seconds()));
            if (i == 0) continue;
            json.Add((ours.Seconds, alone, baseline));
            KeepFaults("-json", ours.Faults, ours.SenderFaults);
        }
        r.BulkJsonPairs[transport] = json;
    }

    /// <summary>Pairs per shape in 4d (the warm-up pair aside): enough for a median the load cannot move much.</summary>
    private const int PairedBulkRuns = 9;

    // ---- 6. nats:// against raw NATS.Client.Core, one broker for both ----

    private static void Nats(HarnessConfig config, Results r)
    {
        using var broker = BenchBroker.Start();
        if (broker is null)
        {
            Console.Error.Write("(skipped: no IPC_NATS_URL and no nats-server on PATH) ");
            return;
        }
        IpcContracts.Nats.NatsTransport.Register();
        RawNatsSeries(broker.Url, config, r);
        // The 24 MiB transfer does not fit a broker message (max_payload, 1 MiB by default): round trips and events only.
        Ours("nats", config, r, full: true, endpointOverride: $"{broker.Url}/ipcbench{Environment.ProcessId}", bulk: false);
        PairedNatsEvents(broker.Url, config, r);
    }

    /// <summary>Bursts per side in 6b (after the warm-ups).</summary>
    private const int PairedNatsRounds = 5;

    /// <summary>Round trips per batch in 6b's round-trip pairs.</summary>
    private const int PairedRoundTrips = 2_000;

    /// <summary>
    /// 6b: the events row again, in alternating bursts: a raw NATS burst, then a nats:// burst of the same count, five times,
    /// both children alive throughout. The row above divides two rates measured tens of seconds apart (0.75x-0.88x between
    /// quiet runs of one build); each pair here sees the same moment, and the median of the pairs' ratios is the figure.
    /// </summary>
    private static void PairedNatsEvents(string url, HarnessConfig config, Results r)
    {
        var prefix = $"rawpair{Environment.ProcessId}";
        using var rawChild = Child.Start("child", "raw-nats", url, prefix);
        using var oursChild = Child.Start("child", "ours", $"{url}/ipcpair{Environment.ProcessId}", new IpcOptions().SharedMemory.SpinCount.ToString());
        var serializer = NATS.Client.Core.NatsRawSerializer<byte[]>.Default;
        Await(async () =>
        {
            await using var nats = new NATS.Client.Core.NatsConnection(NATS.Client.Core.NatsOpts.Default with { Url = url });
            await nats.ConnectAsync().ConfigureAwait(false);
            await using var client = await IpcClient.ConnectAsync(oursChild.Address, options: new IpcOptions { DefaultCallTimeout = TimeSpan.FromMinutes(5) }).ConfigureAwait(false);
            var echo = client.Proxy<IEcho>();
            var publisher = client.Publisher<IBenchEvents>();
            var tick = new Payload(Text(HarnessConfig.EventSize));
            long rawSent = 0, oursSent = 0;
            async Task<double> RawBurst(int n)
            {
                var begin = Stopwatch.GetTimestamp();
                rawSent = await RawNatsBurstAsync(nats, prefix, rawSent, n).ConfigureAwait(false);
                return Seconds(Stopwatch.GetTimestamp() - begin);
            }
            async Task<double> OursBurst(int n)
            {
                var begin = Stopwatch.GetTimestamp();
                for (var i = 0; i < n; i++) publisher.Tick(tick);
                oursSent += n;
                Check(await echo.WaitForEventsAsync(oursSent).ConfigureAwait(false) >= oursSent, "nats:// event count");
                return Seconds(Stopwatch.GetTimestamp() - begin);
            }
            var warmRaw = new WarmUp(rawChild);
            do await RawBurst(config.EventWarmup).ConfigureAwait(false);
            while (!warmRaw.Done());
            var warmOurs = new WarmUp(oursChild);
            do await OursBurst(config.EventWarmup).ConfigureAwait(false);
            while (!warmOurs.Done());
            // 6b, round trips: batches of 2,000 of each size, raw then ours, five times; the p50 of each batch.
            var rawEcho = RawNats.Subject(prefix, "echo");
            foreach (var size in HarnessConfig.Sizes)
            {
                var bytes = new byte[size];
                var payload = new Payload(Text(size));
                async Task<double> RawP50(int n)
                {
                    var h = NewHistogram();
                    for (var i = 0; i < n; i++)
                    {
                        var start = Stopwatch.GetTimestamp();
                        await nats.RequestAsync(rawEcho, bytes, requestSerializer: serializer, replySerializer: serializer).ConfigureAwait(false);
                        h.RecordValue(Stopwatch.GetTimestamp() - start);
                    }
                    return Latency.From(h).P50;
                }
                async Task<double> OursP50(int n)
                {
                    var h = NewHistogram();
                    for (var i = 0; i < n; i++)
                    {
                        var start = Stopwatch.GetTimestamp();
                        await echo.EchoAsync(payload).ConfigureAwait(false);
                        h.RecordValue(Stopwatch.GetTimestamp() - start);
                    }
                    return Latency.From(h).P50;
                }
                var warmRawRtt = new WarmUp(rawChild);
                do await RawP50(config.RoundTripWarmup).ConfigureAwait(false);
                while (!warmRawRtt.Done());
                var warmOursRtt = new WarmUp(oursChild);
                do await OursP50(config.RoundTripWarmup).ConfigureAwait(false);
                while (!warmOursRtt.Done());
                var rtts = new List<(double Ours, double Baseline)>();
                for (var k = 0; k < PairedNatsRounds; k++)
                {
                    var raw = await RawP50(PairedRoundTrips).ConfigureAwait(false);
                    rtts.Add((await OursP50(PairedRoundTrips).ConfigureAwait(false), raw));
                }
                r.NatsRoundTripPairs[size] = rtts;
            }

            var pairs = new List<(double Ours, double Baseline)>();
            for (var k = 0; k < PairedNatsRounds; k++)
            {
                Settle();
                var raw = await RawBurst(config.Events).ConfigureAwait(false);
                Settle();
                var ours = await OursBurst(config.Events).ConfigureAwait(false);
                pairs.Add((config.Events / ours, config.Events / raw)); // rates: events per second
            }
            r.NatsEventPairs.AddRange(pairs);
        });
    }

    private static void RawNatsSeries(string url, HarnessConfig config, Results r)
    {
        var prefix = $"rawbench{Environment.ProcessId}";
        using var child = Child.Start("child", "raw-nats", url, prefix);
        var serializer = NATS.Client.Core.NatsRawSerializer<byte[]>.Default;
        Await(async () =>
        {
            await using var nats = new NATS.Client.Core.NatsConnection(NATS.Client.Core.NatsOpts.Default with { Url = url });
            await nats.ConnectAsync().ConfigureAwait(false);
            var echo = RawNats.Subject(prefix, "echo");
            foreach (var size in HarnessConfig.Sizes)
            {
                var payload = new byte[size];
                async Task Loop(int n, LongHistogram? h)
                {
                    for (var i = 0; i < n; i++)
                    {
                        var start = Stopwatch.GetTimestamp();
                        var reply = await nats.RequestAsync(echo, payload, requestSerializer: serializer, replySerializer: serializer).ConfigureAwait(false);
                        h?.RecordValue(Stopwatch.GetTimestamp() - start);
                        if (i == 0) Check(reply.Data?.Length == size, "raw NATS echo");
                    }
                }
                var warm = new WarmUp(child);
                do await Loop(config.RoundTripWarmup, null).ConfigureAwait(false);
                while (!warm.Done());
                var h = NewHistogram();
                child.Mark();
                var meter = LocalMeter.Start();
                await Loop(config.RoundTrips, h).ConfigureAwait(false);
                r.RoundTripCost[("raw-nats", size)] = Finish(meter, child, config.RoundTrips);
                r.RoundTrip[("raw-nats", size)] = Latency.From(h);
            }

            // Events: publish, then a request on P.wait that the child answers once it has counted them all.
            long sent = 0;
            async Task Burst(int n) => sent = await RawNatsBurstAsync(nats, prefix, sent, n).ConfigureAwait(false);
            var warmEvents = new WarmUp(child);
            do await Burst(config.EventWarmup).ConfigureAwait(false);
            while (!warmEvents.Done());
            child.Mark();
            var eventMeter = LocalMeter.Start();
            var begin = Stopwatch.GetTimestamp();
            await Burst(config.Events).ConfigureAwait(false);
            var ticks = Stopwatch.GetTimestamp() - begin;
            r.EventCost["raw-nats"] = Finish(eventMeter, child, config.Events);
            r.EventsPerSecond["raw-nats"] = config.Events / Seconds(ticks);
        });
    }

    /// <summary>At most this many raw NATS events ahead of the raw child before the publisher waits for its count.</summary>
    private const int RawNatsWindow = 50_000;

    /// <summary>
    /// Publishes <paramref name="n"/> 64 B events to the raw child, then waits until it has counted all
    /// <paramref name="sent"/> + n (a request on P.wait it answers once it has); returns the new total. At most two windows
    /// of events are ahead of the child: publishing alone can run faster than a subscriber counts, and the broker
    /// disconnects a subscriber that falls too far behind (max_pending, 64 MiB, or no progress within its 10 s write
    /// deadline) as a slow consumer, whose events are then lost and whose count never arrives. Waiting for the window
    /// before last keeps the pipeline full.
    /// </summary>
    private static async Task<long> RawNatsBurstAsync(NATS.Client.Core.NatsConnection nats, string prefix, long sent, int n)
    {
        var serializer = NATS.Client.Core.NatsRawSerializer<byte[]>.Default;
        var message = new byte[HarnessConfig.EventSize];
        var events = RawNats.Subject(prefix, "events");
        async Task WaitFor(long count) => Check(BitConverter.ToInt64((await nats.RequestAsync(RawNats.Subject(prefix, "wait"),
            BitConverter.GetBytes(count), requestSerializer: serializer, replySerializer: serializer,
            replyOpts: new NATS.Client.Core.NatsSubOpts { Timeout = TimeSpan.FromSeconds(60) }).ConfigureAwait(false)).Data) >= count,
            "raw NATS event count");
        for (var i = 0; i < n; i++)
        {
            await nats.PublishAsync(events, message, serializer: serializer).ConfigureAwait(false);
            if (++sent % RawNatsWindow == 0 && sent > RawNatsWindow) await WaitFor(sent - RawNatsWindow).ConfigureAwait(false);
        }
        await WaitFor(sent).ConfigureAwait(false);
        return sent;
    }

    // ---- StreamJsonRpc ----

    private static void StreamJsonRpcRoundTrips(HarnessConfig config, Results r)
    {
        using var child = Child.Start("child", "sjrpc");
        var socket = RawSockets.Connect("unix", child.Address);
        using var rpc = StreamJsonRpcSetup.Attach(socket);
        rpc.StartListening();
        Await(async () =>
        {
            foreach (var size in HarnessConfig.Sizes)
            {
                var payload = new Payload(Text(size));
                var back = await rpc.InvokeAsync<Payload>("Echo", payload).ConfigureAwait(false);
                Check(back.Data == payload.Data, "StreamJsonRpc echo");
                var warm = new WarmUp(child);
                do
                {
                    for (var i = 0; i < config.RoundTripWarmup; i++) await rpc.InvokeAsync<Payload>("Echo", payload).ConfigureAwait(false);
                }
                while (!warm.Done());
                var h = NewHistogram();
                child.Mark();
                var meter = LocalMeter.Start();
                for (var i = 0; i < config.RoundTrips; i++)
                {
                    var start = Stopwatch.GetTimestamp();
                    await rpc.InvokeAsync<Payload>("Echo", payload).ConfigureAwait(false);
                    h.RecordValue(Stopwatch.GetTimestamp() - start);
                }
                r.RoundTripCost[("sjrpc", size)] = Finish(meter, child, config.RoundTrips);
                r.RoundTrip[("sjrpc", size)] = Latency.From(h);
            }
        });
    }

    // ---- in-process floors ----

    private static void SerializeOnly(HarnessConfig config, Results r)
    {
        // The same generated proxy a publisher uses, writing each event's frame into a pooled buffer and sending nothing.
        var channel = new EncodeOnlyChannel();
        var publisher = GeneratedPath.Events.CreateProxy(channel);
        var tick = new Payload(Text(HarnessConfig.EventSize));
        var warm = new WarmUp(null);
        do
        {
            for (var i = 0; i < config.EventWarmup; i++) publisher.Tick(tick);
        }
        while (!warm.Done());
        Settle();
        var start = Stopwatch.GetTimestamp();
        for (var i = 0; i < config.Events; i++) publisher.Tick(tick);
        r.EventsPerSecond["serialize"] = config.Events / Seconds(Stopwatch.GetTimestamp() - start);
    }

    private static void Memcpy(HarnessConfig config, Results r)
    {
        var source = Encoding.ASCII.GetBytes(BulkText());
        var destination = new byte[source.Length];
        var times = new List<double>();
        for (var i = 0; i <= config.BulkRuns; i++)
        {
            Settle();
            var start = Stopwatch.GetTimestamp();
            source.AsSpan().CopyTo(destination);
            if (i > 0) times.Add(Seconds(Stopwatch.GetTimestamp() - start));
        }
        r.BulkSeconds["memcpy"] = Median(times);

        // The same copy into a new array each time, as a receiver that hands out an array of its own must make (a large
        // binary argument: docs/semantics.md "Bytes as bytes"): the new array's pages are faulted in and cleared by the OS
        // as it is written, which a reused destination never pays.
        times.Clear();
        for (var i = 0; i <= config.BulkRuns; i++)
        {
            Settle();
            var start = Stopwatch.GetTimestamp();
            var fresh = GC.AllocateUninitializedArray<byte>(source.Length);
            source.AsSpan().CopyTo(fresh);
            if (i > 0) times.Add(Seconds(Stopwatch.GetTimestamp() - start));
            Check(fresh[^1] == source[^1], "memcpy into a new array");
        }
        r.BulkSeconds["memcpy-new"] = Median(times);

        var jsonOnly = new JsonOnlyTransfer(new Payload(BulkText()));
        times.Clear();
        for (var i = 0; i <= config.BulkRuns; i++)
        {
            Settle();
            var seconds = jsonOnly.Seconds();
            if (i > 0) times.Add(seconds);
        }
        r.BulkSeconds["json"] = Median(times);
    }

    /// <summary>
    /// The JSON work of a 24 MiB call without any transport: the generated proxy writes the request frame, then the
    /// payload is parsed back (what the two processes do besides moving bytes).
    /// </summary>
    private sealed class JsonOnlyTransfer(Payload bulk)
    {
        private readonly IEcho _proxy = GeneratedPath.Echo.CreateProxy(new EncodeOnlyChannel());
        private readonly byte[] _json = Encoding.UTF8.GetBytes("{\"Data\":\"" + bulk.Data + "\"}");

        public double Seconds()
        {
            var start = Stopwatch.GetTimestamp();
            _proxy.SinkAsync(bulk).GetAwaiter().GetResult();
            var back = System.Text.Json.JsonSerializer.Deserialize(_json, BenchJson.Default.Payload)!;
            var seconds = Timing.Seconds(Stopwatch.GetTimestamp() - start);
            Check(back.Data.Length == bulk.Data.Length, "JSON-only round trip");
            return seconds;
        }
    }

    /// <summary>
    /// The payload objects themselves: a <see cref="Payload"/> and its 64-character string, built from the bytes of the
    /// string (what any reader must allocate at least). Until session 13 this measured <c>JsonSerializer.Deserialize</c>
    /// (232 B), which counted System.Text.Json's constructor-argument state (56 B) as payload; the library's generated
    /// reader no longer allocates that state, so the floor is the objects alone.
    /// </summary>
    private static void PayloadObjectSize(Results r)
    {
        var utf8 = Encoding.UTF8.GetBytes(Text(64));
        Payload? last = null;
        for (var i = 0; i < 100; i++) last = new Payload(Encoding.UTF8.GetString(utf8));
        const int n = 1000;
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < n; i++) last = new Payload(Encoding.UTF8.GetString(utf8));
        r.PayloadObjectBytes = (GC.GetAllocatedBytesForCurrentThread() - before) / (double)n;
        GC.KeepAlive(last);
    }

    // ---- helpers ----

    /// <summary>Repeats one transfer until neither process has compiled a method for a while (<see cref="WarmUp"/>).</summary>
    private static async Task WarmTransfersAsync(Child child, Func<Task> transfer)
    {
        var warm = new WarmUp(child);
        do await transfer().ConfigureAwait(false);
        while (!warm.Done());
    }

    /// <summary>Lets the garbage collector and the JIT's background work finish before a timed section.</summary>
    private static void Settle()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        Thread.Sleep(50);
    }

    /// <summary>Runs <paramref name="body"/> between marks in both processes; cost per operation.</summary>
    private static Cost Metered(Child child, int ops, Action body)
    {
        child.Mark();
        var meter = LocalMeter.Start();
        body();
        return Finish(meter, child, ops);
    }

    private static Cost Finish(LocalMeter meter, Child child, int ops)
    {
        var (bytes, cpu) = meter.Stop();
        var (childBytes, childCpu) = child.Stats();
        return new Cost(bytes / (double)ops, childBytes / (double)ops, cpu / ops, childCpu / ops);
    }

    private static void Check(bool condition, string what)
    {
        if (!condition) throw new InvalidOperationException($"Benchmark sanity check failed: {what}.");
    }
}
