using System.Diagnostics;
using System.Globalization;
using IpcContracts.Benchmarks.Processes;
using IpcContracts.Transports.SharedMemory;

namespace IpcContracts.Benchmarks.Harness;

/// <summary>
/// <c>ring-bulk [--runs N] [--piece BYTES ...]</c>: the floor of the shared-memory ring itself for the harness's 24 MiB
/// transfer, in one process: a producer thread writes the bytes through the transport's ring (1 MiB, its default spin) and
/// a consumer thread copies them out into a reused array, against a plain memcpy of the same bytes run right before each
/// transfer. No frames, no GC arrays, no other thread: what two copies through the ring cost when nothing else does.
/// A piece is the most either side moves at once (0: all the free space and all the unread bytes, as the transport does);
/// with smaller pieces the consumer can copy one piece out while the producer copies the next in. With <c>--new-array</c>
/// the consumer copies into a new array each transfer (allocated inside the timing, as a received <c>byte[]</c> is), and
/// so does the memcpy it is paired with; the row gives this process's minor page faults per transfer (Linux).
/// </summary>
internal static class RingBulk
{
    private const int RingSize = 1 << 20;

    public static int Run(string[] args)
    {
        var runs = 15;
        var newArray = false;
        var pieces = new List<int>();
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--runs" when i + 1 < args.Length && int.TryParse(args[i + 1], out var r) && r is >= 1 and <= 1000: runs = r; i++; break;
                case "--new-array": newArray = true; break;
                case "--piece" when i + 1 < args.Length && int.TryParse(args[i + 1], out var p) && p is >= 0 and <= RingSize: pieces.Add(p); i++; break;
                default:
                    Console.Error.WriteLine("usage: ring-bulk [--runs N] [--new-array] [--piece BYTES ...]");
                    return 2;
            }
        }
        if (pieces.Count == 0) pieces.AddRange([0, 256 * 1024, 64 * 1024]);

        var source = new byte[HarnessConfig.BulkSize];
        new Random(1).NextBytes(source);
        var destination = new byte[source.Length];
        var memcpyTarget = new byte[source.Length];
        using var segment = ShmPlatform.Current.Create(RingSize);
        ShmPlatform.Current.Unpublish(segment);
        var spin = new IpcOptions().SharedMemory.SpinCount;
        var producer = new SpscRing(segment, 0, RingSize, spin);
        var consumer = new SpscRing(segment, 0, RingSize, spin);

        Console.WriteLine($"ring-bulk: {source.Length / (1 << 20)} MiB through a {RingSize / 1024} KiB ring, {runs} transfers per piece size after 3 warm-ups, each paired with a memcpy right before it; {(newArray ? "the consumer copies into a new array each transfer" : "the consumer copies into one reused array")}; load average {Load.Average():0.00}");
        Console.WriteLine("| piece | median transfer | median memcpy | median of the ratios (range) | page faults per transfer (median) |");
        Console.WriteLine("|---|---|---|---|---|");
        // Alternating the piece sizes transfer by transfer, so that a change in the load reaches every size alike.
        var results = pieces.ToDictionary(p => p, _ => new List<(double Ring, double Memcpy, long Faults)>());
        for (var run = -3; run < runs; run++)
        {
            foreach (var piece in pieces)
            {
                var t0 = Stopwatch.GetTimestamp();
                // Like with like: with --new-array the memcpy, too, goes into a new array (allocated inside its timing).
                source.AsSpan().CopyTo(newArray ? GC.AllocateUninitializedArray<byte>(source.Length) : memcpyTarget);
                var memcpy = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
                var faults = Child.MinorFaults(Environment.ProcessId);
                var (ring, received) = Transfer(producer, consumer, source, newArray ? null : destination, piece);
                faults = Child.MinorFaults(Environment.ProcessId) - faults;
                if (!source.AsSpan().SequenceEqual(received)) throw new InvalidOperationException("ring-bulk: the bytes differ");
                if (run >= 0) results[piece].Add((ring, memcpy, faults));
            }
        }
        foreach (var piece in pieces)
        {
            var r = results[piece];
            var ratios = r.Select(x => x.Ring / x.Memcpy).Order().ToList();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {(piece == 0 ? "all free / all unread" : $"{piece / 1024} KiB")} | {Timing.Median(r.Select(x => x.Ring).ToList()):0.00} ms | {Timing.Median(r.Select(x => x.Memcpy).ToList()):0.00} ms | {Timing.Median(ratios):0.00}x ({ratios[0]:0.00}x-{ratios[^1]:0.00}x) | {Timing.Median(r.Select(x => (double)x.Faults).ToList()):0} |"));
        }
        return 0;
    }

    /// <summary>One 24 MiB transfer through the ring, both sides spinning as the transport's: milliseconds and the bytes
    /// received, into <paramref name="reused"/> or, when it is null, into a new array allocated inside the timing.</summary>
    private static (double Ms, byte[] Received) Transfer(SpscRing producer, SpscRing consumer, byte[] source, byte[]? reused, int piece)
    {
        var start = new ManualResetEventSlim();
        var write = new Thread(() =>
        {
            start.Wait();
            for (var at = 0; at < source.Length;)
            {
                var length = piece == 0 ? source.Length - at : Math.Min(piece, source.Length - at);
                if (!producer.Write(source.AsSpan(at, length), static () => false)) throw new InvalidOperationException("ring closed");
                at += length;
            }
        }) { IsBackground = true, Name = "ring-bulk producer" };
        write.Start();
        var t0 = Stopwatch.GetTimestamp();
        start.Set();
        var destination = reused ?? GC.AllocateUninitializedArray<byte>(source.Length);
        for (var at = 0; at < destination.Length;)
        {
            var length = piece == 0 ? destination.Length - at : Math.Min(piece, destination.Length - at);
            var n = consumer.Read(destination.AsSpan(at, length));
            if (n == 0) consumer.WaitForData(static () => false);
            at += n;
        }
        var elapsed = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
        write.Join();
        return (elapsed, destination);
    }
}
