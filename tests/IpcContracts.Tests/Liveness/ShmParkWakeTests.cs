using IpcContracts.Transports.SharedMemory;

namespace IpcContracts.Tests.Liveness;

/// <summary>
/// The park/wake handshake of the shared-memory ring (<see cref="SpscRing.WakeReaderIfParked"/>,
/// <see cref="SpscRing.WakeWriterIfParked"/>) under stress: with a spin count of 0 every wait parks, and the timed
/// safety net of a parked side is set to "never", so a single lost wake-up leaves both threads asleep for good and the
/// test fails at its bound instead of passing 100 ms later. The producers publish the way the transport does: several
/// pieces, then one wake check (the flush path), and the consumer frees a whole span, then checks once (the pull path).
/// </summary>
public sealed class ShmParkWakeTests
{
    private const int RingSize = 4096;
    private static readonly TimeSpan Bound = TimeSpan.FromMinutes(5); // a hang bound, not a timing expectation

    [Fact]
    public async Task Two_hundred_thousand_ping_pongs_that_park_on_every_wait_all_complete()
    {
        const int roundTrips = 200_000;
        var rings = Rings.Create();
        var stop = 0;
        bool Stopped() => Volatile.Read(ref stop) != 0;

        // Ring 0 carries pings (A to B), ring 1 pongs (B to A); each message is a 4-byte sequence number written in two
        // published pieces, and the answer must echo it.
        var a = Task.Factory.StartNew(() =>
        {
            Span<byte> message = stackalloc byte[4];
            for (var i = 0; i < roundTrips; i++)
            {
                BitConverter.TryWriteBytes(message, i);
                if (!Send(rings.Producer(0), message, Stopped)) return i;
                if (!Receive(rings.Consumer(1), message, Stopped)) return i;
                if (BitConverter.ToInt32(message) != i) throw new InvalidOperationException($"pong {BitConverter.ToInt32(message)} for ping {i}");
            }
            return roundTrips;
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        var b = Task.Factory.StartNew(() =>
        {
            Span<byte> message = stackalloc byte[4];
            for (var i = 0; i < roundTrips; i++)
            {
                if (!Receive(rings.Consumer(0), message, Stopped)) return i;
                if (!Send(rings.Producer(1), message, Stopped)) return i;
            }
            return roundTrips;
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

        try
        {
            var done = await Task.WhenAll(a, b).WaitAsync(Bound);
            Assert.Equal(new[] { roundTrips, roundTrips }, done);
        }
        finally
        {
            Volatile.Write(ref stop, 1);
            await rings.EndAsync(a, b); // on a failure, lets the parked threads see the stop and end
        }
    }

    [Fact]
    public async Task Streaming_through_a_small_ring_that_parks_both_sides_on_every_wait_delivers_every_byte()
    {
        const int total = 16 * 1024 * 1024; // 4096 ring fills: the writer parks on a full ring, the reader on an empty one
        var rings = Rings.Create();
        var stop = 0;
        bool Stopped() => Volatile.Read(ref stop) != 0;

        var writer = Task.Factory.StartNew(() =>
        {
            var chunk = new byte[1000];
            long sum = 0;
            for (var sent = 0; sent < total;)
            {
                var n = Math.Min(chunk.Length, total - sent);
                for (var i = 0; i < n; i++) sum += chunk[i] = (byte)(sent + i);
                if (!rings.Producer(0).Write(chunk.AsSpan(0, n), Stopped)) return -1;
                sent += n;
            }
            return sum;
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        var reader = Task.Factory.StartNew(() =>
        {
            var ring = rings.Consumer(0);
            var buffer = new byte[3000];
            long sum = 0;
            for (var received = 0; received < total;)
            {
                ring.WaitForData(Stopped);
                if (Stopped()) return -1;
                var n = ring.Consume(buffer);
                if (n == 0) continue;
                ring.WakeWriterIfParked();
                for (var i = 0; i < n; i++)
                {
                    if (buffer[i] != (byte)(received + i)) throw new InvalidOperationException($"byte {received + i} is wrong");
                    sum += buffer[i];
                }
                received += n;
            }
            return sum;
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

        try
        {
            var sums = await Task.WhenAll(writer, reader).WaitAsync(Bound);
            Assert.True(sums[0] > 0);
            Assert.Equal(sums[0], sums[1]);
        }
        finally
        {
            Volatile.Write(ref stop, 1);
            await rings.EndAsync(writer, reader);
        }
    }

    /// <summary>Publishes <paramref name="message"/> in two pieces and checks the reader once, as the transport's flush does.</summary>
    private static bool Send(SpscRing ring, ReadOnlySpan<byte> message, Func<bool> stopped)
    {
        var written = 0;
        while (written < message.Length)
        {
            var piece = written == 0 ? 1 : message.Length - written;
            var n = ring.Publish(message.Slice(written, piece));
            written += n;
            if (n == 0 && stopped()) return false;
            if (written == 1) continue; // the second piece goes before the one wake check
            ring.WakeReaderIfParked();
        }
        return true;
    }

    /// <summary>Waits (parking: spin count 0) until the whole message is there, consuming what comes and checking the writer once per span.</summary>
    private static bool Receive(SpscRing ring, Span<byte> message, Func<bool> stopped)
    {
        var read = 0;
        while (read < message.Length)
        {
            ring.WaitForData(stopped);
            if (stopped()) return false;
            var n = ring.Consume(message[read..]);
            if (n > 0) ring.WakeWriterIfParked();
            read += n;
        }
        return true;
    }

    /// <summary>One segment of this platform; a producer-side and a consumer-side view of each ring, all with spin count 0.</summary>
    private sealed class Rings
    {
        private readonly Segment _segment;
        private readonly SpscRing[] _producers;
        private readonly SpscRing[] _consumers;

        private Rings(Segment segment)
        {
            _segment = segment;
            _producers = [Make(0), Make(1)];
            _consumers = [Make(0), Make(1)];
        }

        private SpscRing Make(int ring) =>
            // A lost wake-up must show as a hang, not as a 50-100 ms pause that the timed wait would hide.
            new(_segment, ring, RingSize, spinCount: 0) { ReaderParkMs = int.MaxValue, WriterParkMs = int.MaxValue };

        public static Rings Create()
        {
            var segment = ShmPlatform.Current.Create(RingSize);
            ShmPlatform.Current.Unpublish(segment); // mapped: the name is no longer needed
            return new Rings(segment);
        }

        public SpscRing Producer(int ring) => _producers[ring];

        public SpscRing Consumer(int ring) => _consumers[ring];

        public void WakeAll()
        {
            foreach (var ring in _consumers) ring.WakeConsumer();
            foreach (var ring in _producers) ring.WakeProducer();
        }

        /// <summary>Wakes every side, and unmaps the segment only once no thread can still be inside it.</summary>
        public async Task EndAsync(params Task[] users)
        {
            WakeAll();
            try { await Task.WhenAll(users).WaitAsync(TimeSpan.FromSeconds(10)); }
            catch (Exception) { } // the test's own assertion reports what went wrong
            if (users.All(t => t.IsCompleted)) _segment.Dispose();
        }
    }
}
