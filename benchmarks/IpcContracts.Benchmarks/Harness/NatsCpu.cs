using System.Diagnostics;
using System.Globalization;
using IpcContracts.Benchmarks.Processes;
using IpcContracts.Benchmarks.Raw;
using static IpcContracts.Benchmarks.Harness.Timing;

namespace IpcContracts.Benchmarks.Harness;

/// <summary>
/// <c>nats-cpu [--events N] [--runs K] [--only SERIES,...]</c> (series raw-nats, nats, pipe): CPU time and bytes allocated per 64 B one-way event in the
/// publisher (this process) and the subscriber (a child), for raw NATS.Client.Core pub/sub, IpcContracts over
/// <c>nats://</c> and IpcContracts over <c>pipe://</c>, against one private nats-server (or IPC_NATS_URL). The events go as in
/// harness step 6 (raw: awaited PublishAsync with the same windows; ours: <c>Tick</c>, with a call that returns when the child
/// has counted all but the last 100,000, every 100,000). CPU per event hardly moves with the machine's load where events/s does, so it is the
/// figure to steer the nats:// event path by. The elapsed time is printed too, as an indication only.
/// </summary>
internal static class NatsCpu
{
    private sealed record Row(string Series, int Run, int Events, Cost Cost, double Seconds, HandoffCounters Publisher, HandoffCounters Subscriber,
        double BrokerCpuUs, double P50Us, (int Gen0, int Gen1, int Gen2, double PauseUs) SubscriberGc);

    public static int Run(string[] args)
    {
        var events = 200_000;
        var trips = 20_000;
        var runs = 3;
        var flood = false;
        string? only = null;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--events" when i + 1 < args.Length && int.TryParse(args[i + 1], out var n) && n > 0: events = n; i++; break;
                case "--trips" when i + 1 < args.Length && int.TryParse(args[i + 1], out var t) && t > 0: trips = t; i++; break;
                case "--runs" when i + 1 < args.Length && int.TryParse(args[i + 1], out var k) && k > 0: runs = k; i++; break;
                case "--only" when i + 1 < args.Length: only = args[++i]; break;
                case "--flood": flood = true; break;
                default:
                    Console.Error.WriteLine("usage: nats-cpu [--events N] [--trips N] [--runs K] [--flood] [--only raw-nats,nats,pipe,rtt-raw,rtt-nats]");
                    return 2;
            }
        }
        // Without --only: the event series; the round-trip series (rtt-raw, rtt-nats) only when named.
        bool Wanted(string series) => only is null ? !series.StartsWith("rtt", StringComparison.Ordinal) : only.Split(',').Contains(series, StringComparer.OrdinalIgnoreCase);
        var loadBefore = Load.Average();
        var rows = new List<Row>();
        var needsBroker = Wanted("raw-nats") || Wanted("nats") || Wanted("rtt-raw") || Wanted("rtt-nats");
        using (var broker = needsBroker ? BenchBroker.Start() : null)
        {
            if (broker is null && needsBroker)
            {
                Console.Error.WriteLine("no IPC_NATS_URL and no nats-server on PATH");
                return 1;
            }
            IpcContracts.Nats.NatsTransport.Register();
            for (var run = 1; run <= runs; run++)
            {
                if (Wanted("raw-nats")) rows.Add(Step("raw-nats", run, events, () => Raw(broker!.Url, events, broker)));
                if (Wanted("nats")) rows.Add(Step("nats", run, events, () => Ours($"{broker!.Url}/ipccpu{Environment.ProcessId}", events, broker, flood)));
                if (Wanted("pipe")) rows.Add(Step("pipe", run, events, () => Ours($"pipe://ipccpu-{Environment.ProcessId}", events, null, flood)));
                if (Wanted("rtt-raw")) rows.Add(Step("rtt-raw", run, trips, () => RawTrips(broker!.Url, trips, broker)));
                if (Wanted("rtt-nats")) rows.Add(Step("rtt-nats", run, trips, () => OurTrips($"{broker!.Url}/ipcrtt{Environment.ProcessId}", trips, broker)));
            }
        }
        Console.WriteLine(FormattableString.Invariant($"load average before / after: {loadBefore:0.00} / {Load.Average():0.00}; {events} events of {HarnessConfig.EventSize} B, {trips} round trips of {HarnessConfig.EventSize} B per run{(flood ? "; ours flooded (no window)" : "")}"));
        // Work items and voluntary context switches (a thread that slept and was woken) per 1,000 events: hand-offs, which the
        // CPU figures pay for without naming. The broker's CPU is nats-server's (not measured with IPC_NATS_URL, nor for pipe).
        if (rows.Any(r => !r.Series.StartsWith("rtt", StringComparison.Ordinal)))
        {
            Console.WriteLine("| series | run | publisher CPU / event | publisher bytes / event | subscriber CPU / event | subscriber bytes / event | broker CPU / event | work items / 1k events, pub / sub | voluntary switches / 1k events, pub / sub | subscriber GCs 0/1/2, pause / event | events/s (indication) |");
            Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|---|");
            foreach (var row in rows.Where(r => !r.Series.StartsWith("rtt", StringComparison.Ordinal)))
            {
                double PerK(long n) => n * 1000.0 / row.Events;
                Console.WriteLine(FormattableString.Invariant(
                    $"| {row.Series} | {row.Run} | {row.Cost.ClientCpuUs:0.00} µs | {row.Cost.ClientBytes:0} B | {row.Cost.ServerCpuUs:0.00} µs | {row.Cost.ServerBytes:0} B | {row.BrokerCpuUs:0.00} µs | {PerK(row.Publisher.WorkItems):0.0} / {PerK(row.Subscriber.WorkItems):0.0} | {PerK(row.Publisher.Voluntary):0.0} / {PerK(row.Subscriber.Voluntary):0.0} | {row.SubscriberGc.Gen0}/{row.SubscriberGc.Gen1}/{row.SubscriberGc.Gen2}, {row.SubscriberGc.PauseUs / row.Events:0.000} µs | {row.Events / row.Seconds / 1000:0} k |"));
            }
        }
        if (rows.Any(r => r.Series.StartsWith("rtt", StringComparison.Ordinal)))
        {
            Console.WriteLine("| series | run | p50 | caller CPU / round trip | caller bytes | server CPU / round trip | server bytes | broker CPU / round trip | work items / round trip, caller / server | voluntary switches / round trip, caller / server |");
            Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|");
            foreach (var row in rows.Where(r => r.Series.StartsWith("rtt", StringComparison.Ordinal)))
            {
                double Per(long n) => n / (double)row.Events;
                Console.WriteLine(FormattableString.Invariant(
                    $"| {row.Series} | {row.Run} | {row.P50Us:0.0} µs | {row.Cost.ClientCpuUs:0.00} µs | {row.Cost.ClientBytes:0} B | {row.Cost.ServerCpuUs:0.00} µs | {row.Cost.ServerBytes:0} B | {row.BrokerCpuUs:0.00} µs | {Per(row.Publisher.WorkItems):0.00} / {Per(row.Subscriber.WorkItems):0.00} | {Per(row.Publisher.Voluntary):0.00} / {Per(row.Subscriber.Voluntary):0.00} |"));
            }
        }
        return 0;
    }

    private static Row Step(string series, int run, int events, Func<Measurement> measure)
    {
        Console.Error.Write($"  {series} run {run} ... ");
        var t = Stopwatch.StartNew();
        var m = measure();
        Console.Error.WriteLine($"{t.Elapsed.TotalSeconds:0.0} s");
        return new Row(series, run, events, m.Cost, m.Seconds, m.Publisher, m.Subscriber, m.BrokerCpuUs, m.P50Us, m.SubscriberGc);
    }

    private sealed record Measurement(Cost Cost, double Seconds, HandoffCounters Publisher, HandoffCounters Subscriber, double BrokerCpuUs,
        (int Gen0, int Gen1, int Gen2, double PauseUs) SubscriberGc, double P50Us = 0);

    /// <summary>
    /// The event series of both sides: bursts published at most one window ahead of the child's count, each ended by a wait
    /// for all of it; warmed up (bursts of 20,000 until neither process compiles more), then one burst of the measured count.
    /// </summary>
    private sealed class WindowedBursts(int window, Func<ValueTask> publishOne, Func<long, Task> waitFor)
    {
        private long _sent;

        private async Task BurstAsync(int n)
        {
            for (var i = 0; i < n; i++)
            {
                await publishOne().ConfigureAwait(false);
                if (++_sent % window == 0 && _sent > window) await waitFor(_sent - window).ConfigureAwait(false);
            }
            await waitFor(_sent).ConfigureAwait(false);
        }

        public async Task<Measurement> WarmThenMeasureAsync(Child child, int count, BenchBroker? broker)
        {
            var warm = new WarmUp(child);
            do await BurstAsync(20_000).ConfigureAwait(false);
            while (!warm.Done());
            return await Measured(child, count, () => BurstAsync(count), broker).ConfigureAwait(false);
        }
    }

    private static Measurement Raw(string url, int count, BenchBroker? broker)
    {
        var prefix = $"rawcpu{Environment.ProcessId}";
        using var child = Child.Start("child", "raw-nats", url, prefix);
        var serializer = NATS.Client.Core.NatsRawSerializer<byte[]>.Default;
        return Await(async () =>
        {
            await using var nats = new NATS.Client.Core.NatsConnection(NATS.Client.Core.NatsOpts.Default with { Url = url });
            await nats.ConnectAsync().ConfigureAwait(false);
            var message = new byte[HarnessConfig.EventSize];
            var events = RawNats.Subject(prefix, "events");
            async Task WaitFor(long n)
            {
                var reply = await nats.RequestAsync(RawNats.Subject(prefix, "wait"), BitConverter.GetBytes(n), requestSerializer: serializer,
                    replySerializer: serializer, replyOpts: new NATS.Client.Core.NatsSubOpts { Timeout = TimeSpan.FromSeconds(60) }).ConfigureAwait(false);
                if (BitConverter.ToInt64(reply.Data) < n) throw new InvalidOperationException("raw NATS event count");
            }
            // As in the harness: at most two windows ahead of the child (see RawNatsSeries).
            var bursts = new WindowedBursts(50_000, () => nats.PublishAsync(events, message, serializer: serializer), WaitFor);
            return await bursts.WarmThenMeasureAsync(child, count, broker).ConfigureAwait(false);
        });
    }

    /// <param name="flood">Publish each burst whole, then wait, as harness step 6 does (no window): for up to a few hundred
    /// thousand events, which the subscriber's queue bound holds.</param>
    private static Measurement Ours(string endpoint, int count, BenchBroker? broker, bool flood)
    {
        using var child = Child.StartOurs(endpoint);
        return Await(async () =>
        {
            await using var client = await IpcClient.ConnectAsync(child.Address,
                options: new IpcOptions { DefaultCallTimeout = TimeSpan.FromMinutes(5) }).ConfigureAwait(false);
            var echo = client.Proxy<IEcho>();
            var publisher = client.Publisher<IBenchEvents>();
            var tick = new Payload(new string('x', HarnessConfig.EventSize));
            async Task WaitFor(long n)
            {
                if (await echo.WaitForEventsAsync(n).ConfigureAwait(false) < n) throw new InvalidOperationException("event count");
            }
            // Windows as in the raw series: a flood longer than the subscriber's queue bound (EventDeliveryOptions) ends the
            // connection by design, and a probe run with millions of events (for a profiler) must not.
            var bursts = new WindowedBursts(flood ? int.MaxValue : 100_000, () =>
            {
                publisher.Tick(tick);
                return default;
            }, WaitFor);
            return await bursts.WarmThenMeasureAsync(child, count, broker).ConfigureAwait(false);
        });
    }

    /// <summary>Round trips of 64 B to the raw child's echo (<c>RequestAsync</c>), as in harness step 6.</summary>
    private static Measurement RawTrips(string url, int count, BenchBroker broker)
    {
        var prefix = $"rawrtt{Environment.ProcessId}";
        using var child = Child.Start("child", "raw-nats", url, prefix);
        var serializer = NATS.Client.Core.NatsRawSerializer<byte[]>.Default;
        return Await(async () =>
        {
            await using var nats = new NATS.Client.Core.NatsConnection(NATS.Client.Core.NatsOpts.Default with { Url = url });
            await nats.ConnectAsync().ConfigureAwait(false);
            var echo = RawNats.Subject(prefix, "echo");
            var payload = new byte[HarnessConfig.EventSize];
            var h = NewHistogram();
            async Task Loop(int n, bool record)
            {
                for (var i = 0; i < n; i++)
                {
                    var start = Stopwatch.GetTimestamp();
                    var reply = await nats.RequestAsync(echo, payload, requestSerializer: serializer, replySerializer: serializer).ConfigureAwait(false);
                    if (record) h.RecordValue(Stopwatch.GetTimestamp() - start);
                    if (reply.Data?.Length != payload.Length) throw new InvalidOperationException("raw NATS echo");
                }
            }
            var warm = new WarmUp(child);
            do await Loop(2_000, false).ConfigureAwait(false);
            while (!warm.Done());
            var m = await Measured(child, count, () => Loop(count, true), broker).ConfigureAwait(false);
            return m with { P50Us = Latency.From(h).P50 };
        });
    }

    /// <summary>Round trips of 64 B through a child IpcServer's <c>IEcho.EchoAsync</c> over nats://, as in harness step 6.</summary>
    private static Measurement OurTrips(string endpoint, int count, BenchBroker broker)
    {
        using var child = Child.StartOurs(endpoint);
        return Await(async () =>
        {
            await using var client = await IpcClient.ConnectAsync(child.Address).ConfigureAwait(false);
            var echo = client.Proxy<IEcho>();
            var payload = new Payload(new string('x', HarnessConfig.EventSize));
            var h = NewHistogram();
            async Task Loop(int n, bool record)
            {
                for (var i = 0; i < n; i++)
                {
                    var start = Stopwatch.GetTimestamp();
                    var reply = await echo.EchoAsync(payload).ConfigureAwait(false);
                    if (record) h.RecordValue(Stopwatch.GetTimestamp() - start);
                    if (reply.Data.Length != payload.Data.Length) throw new InvalidOperationException("nats:// echo");
                }
            }
            var warm = new WarmUp(child);
            do await Loop(2_000, false).ConfigureAwait(false);
            while (!warm.Done());
            var m = await Measured(child, count, () => Loop(count, true), broker).ConfigureAwait(false);
            return m with { P50Us = Latency.From(h).P50 };
        });
    }

    private static async Task<Measurement> Measured(Child child, int count, Func<Task> burst, BenchBroker? broker)
    {
        var brokerBefore = broker?.ProcessorTime;
        child.Mark();
        var meter = LocalMeter.Start();
        var counters = HandoffCounters.Now();
        var begin = Stopwatch.GetTimestamp();
        await burst().ConfigureAwait(false);
        var seconds = Seconds(Stopwatch.GetTimestamp() - begin);
        var publisher = HandoffCounters.Now().Since(counters);
        var (bytes, cpu) = meter.Stop();
        var (childBytes, childCpu) = child.Stats();
        var subscriber = child.Counts();
        var gc = child.Collections();
        var brokerCpu = broker?.ProcessorTime is { } after && brokerBefore is { } before ? (after - before).TotalMicroseconds / count : double.NaN;
        return new Measurement(new Cost(bytes / (double)count, childBytes / (double)count, cpu / count, childCpu / count), seconds, publisher, subscriber, brokerCpu, gc);
    }
}
