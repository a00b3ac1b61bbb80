using IpcContracts.Transports.SharedMemory;

namespace IpcContracts.Tests.TransportOptions;

/// <summary>
/// The shared-memory ring moves a large write in pieces of at most a quarter of the ring (<see cref="SpscRing.Publish"/>,
/// <see cref="SpscRing.Consume"/>), so that a frame larger than the ring streams through it with the consumer copying one
/// piece out while the producer copies the next in. When a publish took all the free space and a consume all the unread
/// bytes, the two sides alternated, each idle while the other copied the whole ring.
/// </summary>
public sealed class ShmRingPieceTests
{
    private const int RingSize = 64 * 1024;
    private const int Piece = RingSize / 4;

    [Fact]
    public void A_write_larger_than_a_quarter_of_the_ring_is_published_and_consumed_a_quarter_at_a_time()
    {
        using var segment = NewSegment();
        var (producer, consumer) = Ends(segment);
        var source = Pattern(RingSize);

        Assert.Equal(Piece, producer.Publish(source));
        Assert.Equal(Piece, consumer.Available); // a piece is visible to the consumer before the next one is copied

        var published = Piece;
        while (published < RingSize) published += producer.Publish(source.AsSpan(published));
        Assert.Equal(RingSize, consumer.Available);
        Assert.Equal(0, producer.Publish(source)); // full

        var destination = new byte[RingSize];
        Assert.Equal(Piece, consumer.Consume(destination)); // frees one piece, which the producer may refill at once
        Assert.Equal(Piece, producer.Publish(source.AsSpan(0, Piece)));
        var consumed = Piece;
        while (consumed < RingSize) consumed += consumer.Consume(destination.AsSpan(consumed));
        Assert.Equal(source, destination);
    }

    [Fact]
    public void A_write_that_fits_in_a_piece_is_published_whole()
    {
        using var segment = NewSegment();
        var (producer, consumer) = Ends(segment);
        var source = Pattern(Piece);

        Assert.Equal(Piece, producer.Publish(source));
        var destination = new byte[RingSize];
        Assert.Equal(Piece, consumer.Consume(destination));
        Assert.Equal(source, destination.AsSpan(0, Piece).ToArray());
    }

    [Fact]
    public async Task Sixteen_rings_worth_written_by_one_thread_arrive_in_order_at_another()
    {
        using var segment = NewSegment();
        var (producer, consumer) = Ends(segment, spinCount: 100);
        producer.WriterParkMs = 10;
        consumer.ReaderParkMs = 10;
        var source = Pattern(16 * RingSize);
        var stop = 0;
        bool Stopped() => Volatile.Read(ref stop) != 0;

        var write = Task.Factory.StartNew(() => producer.Write(source, Stopped), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        var read = Task.Factory.StartNew(() =>
        {
            var destination = new byte[source.Length];
            var largest = 0;
            for (var at = 0; at < destination.Length && !Stopped();)
            {
                var n = consumer.Read(destination.AsSpan(at));
                if (n == 0) consumer.WaitForData(Stopped);
                at += n;
                largest = Math.Max(largest, n);
            }
            return (destination, largest);
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        try
        {
            var bound = TimeSpan.FromMinutes(2); // a hang bound, not a timing expectation
            Assert.True(await write.WaitAsync(bound));
            var (destination, largest) = await read.WaitAsync(bound);
            Assert.Equal(source, destination);
            Assert.InRange(largest, 1, Piece);
        }
        finally
        {
            Volatile.Write(ref stop, 1);
            consumer.WakeConsumer();
            producer.WakeProducer();
            await Task.WhenAll(write, read).WaitAsync(TimeSpan.FromSeconds(10)).ContinueWith(_ => { }, TaskScheduler.Default);
        }
    }

    /// <summary>A private segment (unlinked at once, so nothing else can open it) holding the ring under test.</summary>
    private static Segment NewSegment()
    {
        var segment = ShmPlatform.Current.Create(RingSize);
        ShmPlatform.Current.Unpublish(segment);
        return segment;
    }

    /// <summary>The producer's and the consumer's view of ring 0 of <paramref name="segment"/>.</summary>
    private static (SpscRing Producer, SpscRing Consumer) Ends(Segment segment, int spinCount = 0) =>
        (new SpscRing(segment, 0, RingSize, spinCount), new SpscRing(segment, 0, RingSize, spinCount));

    private static byte[] Pattern(int length)
    {
        var bytes = new byte[length];
        for (var i = 0; i < bytes.Length; i++) bytes[i] = (byte)(i * 7 + (i >> 8));
        return bytes;
    }
}
