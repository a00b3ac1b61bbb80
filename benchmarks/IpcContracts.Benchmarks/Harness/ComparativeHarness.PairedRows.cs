using System.Diagnostics;
using HdrHistogram;
using IpcContracts.Benchmarks.Processes;
using IpcContracts.Benchmarks.Raw;
using static IpcContracts.Benchmarks.Harness.Timing;

namespace IpcContracts.Benchmarks.Harness;

internal static partial class ComparativeHarness
{
    /// <summary>Rounds in 2b/3c (after the warm-ups): each round is one raw batch, then one of ours.</summary>
    private const int PairedRounds = 7;

    /// <summary>
    /// 2b and 3c: rows 2, 3, 3b and 5 again, batch by batch against the baseline. Rows 2 and 5 divide figures measured
    /// a minute apart by different children, and the baselines move the most: the raw ring's p50 went 0.25 → 0.86 µs and
    /// raw TCP's 15.9 → 47.2 µs between two quiet runs of one build. Here both children live for the whole step and
    /// each round runs a raw batch, then ours, of the same size: 64 B round trips (p50, p99, CPU of both processes per
    /// round trip), then a burst of 64 B events each way, then our stream of 64 B items of the same count. The figure is
    /// the median of the rounds' ratios; the spread of the ratios is the noise.
    /// </summary>
    /// <remarks>
    /// The baseline for pipe and tcp is the raw async socket ping-pong (the CPU target is against it); for shm, the
    /// raw spinning ring. While one side runs, the other's child idles: the raw children wait on their command line, and our
    /// shared-memory reader parks after its spin budget (a few µs), so neither takes a core from the batch being measured.
    /// </remarks>
    private static void PairedRows(string transport, HarnessConfig config, Results r)
    {
        var kind = transport switch { "pipe" => "unix", "tcp" => "tcp", _ => "shm" };
        var endpoint = transport switch
        {
            "pipe" => $"pipe://ipcpair-{Environment.ProcessId}",
            "tcp" => "tcp://127.0.0.1:0",
            _ => $"shm://ipcpair-{Environment.ProcessId}",
        };
        using var rawChild = Child.Start("child", "raw", kind);
        using var oursChild = Child.StartOurs(endpoint);
        using var socket = kind == "shm" ? null : RawSockets.Connect(kind, rawChild.Address);
        using var segment = kind == "shm" ? RawShmSegment.Open(rawChild.Address) : null;
        if (segment is not null) File.Delete(rawChild.Address); // both sides have it mapped
        var tx = segment?.Ring(0);
        var rx = segment?.Ring(1);
        var n = config.RoundTrips;
        var size = HarnessConfig.EventSize;
        var buffer = new byte[size];
        var message = new byte[size];
        var ack = new byte[1];

        // One raw batch of round trips: the child echoes, this process drives and records.
        (Latency Latency, Cost Cost) RawRoundTrips(int count)
        {
            var h = NewHistogram();
            var command = socket is null ? $"echo {size} {count}" : $"echo-async {size} {count}";
            var cost = Metered(rawChild, count, () => rawChild.Drive(command, () =>
            {
                if (socket is not null) Await(() => EchoAsync(socket, buffer, count, h));
                else EchoRing(tx!, rx!, buffer, count, h);
            }));
            return (Latency.From(h), cost);
        }

        // One raw burst of one-way messages: one write per message, the child acknowledges the last byte.
        double RawEvents(int count)
        {
            long ticks = 0;
            Settle();
            rawChild.Drive($"sink {(long)count * size}", () =>
            {
                var start = Stopwatch.GetTimestamp();
                if (socket is not null) SocketBurst(socket, message, ack, count);
                else RingBurst(tx!, rx!, message, ack, count);
                ticks = Stopwatch.GetTimestamp() - start;
            });
            return count / Seconds(ticks);
        }

        var options = new IpcOptions { DefaultCallTimeout = TimeSpan.FromMinutes(5), DedicatedReaderThread = HarnessConfig.DedicatedReaderClient, ContinuationsOnReaderThread = HarnessConfig.ContinuationsOnReader };
        Await(async () =>
        {
            await using var client = await IpcClient.ConnectAsync(oursChild.Address, options: options).ConfigureAwait(false);
            var echo = client.Proxy<IEcho>();
            var publisher = client.Publisher<IBenchEvents>();
            var payload = new Payload(Text(size));
            long sent = 0;

            async Task<(Latency Latency, Cost Cost)> OursRoundTrips(int count)
            {
                var h = NewHistogram();
                oursChild.Mark();
                var meter = LocalMeter.Start();
                for (var i = 0; i < count; i++)
                {
                    var start = Stopwatch.GetTimestamp();
                    await echo.EchoAsync(payload).ConfigureAwait(false);
                    h.RecordValue(Stopwatch.GetTimestamp() - start);
                }
                return (Latency.From(h), Finish(meter, oursChild, count));
            }

            async Task<double> OursEvents(int count)
            {
                Settle();
                var begin = Stopwatch.GetTimestamp();
                for (var i = 0; i < count; i++) publisher.Tick(payload);
                sent += count;
                Check(await echo.WaitForEventsAsync(sent).ConfigureAwait(false) >= sent, "paired event count");
                return count / Seconds(Stopwatch.GetTimestamp() - begin);
            }

            async Task<double> OursStream(int count)
            {
                Settle();
                long items = 0;
                var begin = Stopwatch.GetTimestamp();
                await foreach (var _ in echo.StreamAsync(count, size).ConfigureAwait(false)) items++;
                var ticks = Stopwatch.GetTimestamp() - begin;
                Check(items == count, "paired stream item count");
                return count / Seconds(ticks);
            }

            // Warm-ups until neither process compiles more, each shape on each side.
            var warm = new WarmUp(rawChild);
            do RawRoundTrips(config.RoundTripWarmup);
            while (!warm.Done());
            warm = new WarmUp(oursChild);
            do await OursRoundTrips(config.RoundTripWarmup).ConfigureAwait(false);
            while (!warm.Done());
            warm = new WarmUp(rawChild);
            do RawEvents(config.EventWarmup);
            while (!warm.Done());
            warm = new WarmUp(oursChild);
            do
            {
                await OursEvents(config.EventWarmup).ConfigureAwait(false);
                await OursStream(config.EventWarmup).ConfigureAwait(false);
            }
            while (!warm.Done());

            var rounds = new List<PairedRound>();
            for (var k = 0; k < PairedRounds; k++)
            {
                var raw = RawRoundTrips(n);
                var ours = await OursRoundTrips(n).ConfigureAwait(false);
                var rawRate = RawEvents(config.Events);
                var oursRate = await OursEvents(config.Events).ConfigureAwait(false);
                var streamRate = await OursStream(config.Events).ConfigureAwait(false);
                rounds.Add(new PairedRound(ours.Latency, raw.Latency, ours.Cost, raw.Cost, oursRate, rawRate, streamRate));
            }
            r.PairedRounds[transport] = rounds;
        });
    }
}
