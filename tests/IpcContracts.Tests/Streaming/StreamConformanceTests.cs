using IpcContracts.TestContracts;
using IpcContracts.Tests.Support;

namespace IpcContracts.Tests.Streaming;

/// <summary>
/// Stream results (methods returning IAsyncEnumerable&lt;T&gt;) on every transport: order, flow control, cancellation,
/// faults and the wait bound (docs/protocol.md 7.7, docs/semantics.md "Streams"). Cross-process cases live in
/// <see cref="CrossProcess.CrossProcessTests"/>.
/// </summary>
public abstract class StreamConformanceTests(string transport, bool dedicatedReader = false)
{
    /// <summary>
    /// The options a case passes, with <see cref="IpcOptions.DedicatedReaderThread"/> <c>true</c> in the "DedicatedReader" classes
    /// and <c>false</c> in the others, so those always cover the thread pool's read path (the automatic default:
    /// Liveness/AutomaticReaderThreadTests and the cross-process suites).
    /// </summary>
    private IpcOptions? O(IpcOptions? given = null) => ReaderOptions.Apply(given, dedicatedReader);

    private async Task<(IpcServer Server, IpcClient Client, IStreams Streams)> StartAsync(IpcOptions? clientOptions = null)
    {
        var server = await IpcServer.StartAsync(Endpoints.For(transport), b => b.Handle<IStreams>(new StreamService()).Handle<ICalculator>(new Calculator()), O());
        var client = await IpcClient.ConnectAsync(server.Endpoint.ToString(), options: O(clientOptions));
        return (server, client, client.Proxy<IStreams>());
    }

    private static async Task StopAsync(IpcServer server, IpcClient client)
    {
        await client.DisposeAsync();
        await server.DisposeAsync();
    }

    [Fact]
    public async Task Items_arrive_in_order_and_the_stream_ends()
    {
        var (server, client, streams) = await StartAsync();
        try
        {
            var items = new List<int>();
            await foreach (var i in streams.RangeAsync(5, 20_000)) items.Add(i);

            Assert.Equal(Enumerable.Range(5, 20_000), items);
            Assert.Empty(await ToListAsync(streams.NothingAsync()));
        }
        finally { await StopAsync(server, client); }
    }

    [Fact]
    public async Task Each_enumeration_is_its_own_call_and_streams_interleave_with_calls()
    {
        var (server, client, streams) = await StartAsync();
        try
        {
            var range = streams.RangeAsync(0, 3);
            Assert.Equal([0, 1, 2], await ToListAsync(range));
            Assert.Equal([0, 1, 2], await ToListAsync(range)); // cold: enumerating again calls again

            var a = ToListAsync(streams.RangeAsync(0, 5_000));
            var b = ToListAsync(streams.RangeAsync(100_000, 5_000));
            var sum = client.Proxy<ICalculator>().AddAsync(20, 22);
            Assert.Equal(Enumerable.Range(0, 5_000), await a);
            Assert.Equal(Enumerable.Range(100_000, 5_000), await b);
            Assert.Equal(42, await sum);
        }
        finally { await StopAsync(server, client); }
    }

    // On shm:// the consumer runs on the reader thread, woken once the read that brought its items is handled: a call made
    // inside the loop body is answered through that same read loop, which must go on reading once the consumer waits.
    [Fact]
    public async Task A_consumer_that_calls_the_same_connection_between_items_gets_every_item_and_every_reply()
    {
        var (server, client, streams) = await StartAsync();
        try
        {
            var calculator = client.Proxy<ICalculator>();
            var items = new List<int>();
            await foreach (var i in streams.RangeAsync(0, 5_000))
            {
                items.Add(i);
                if (i % 250 == 0) Assert.Equal(i + 1, await calculator.AddAsync(i, 1));
            }

            Assert.Equal(Enumerable.Range(0, 5_000), items);
        }
        finally { await StopAsync(server, client); }
    }

    [Fact]
    public async Task A_producer_exception_surfaces_at_MoveNextAsync_after_the_items_before_it()
    {
        var (server, client, streams) = await StartAsync();
        try
        {
            var seen = new List<int>();
            var error = await Assert.ThrowsAsync<RemoteInvocationException>(async () =>
            {
                await foreach (var i in streams.FailAfterAsync(3, "producer broke")) seen.Add(i);
            });

            Assert.Equal([0, 1, 2], seen);
            Assert.Contains("producer broke", error.Message);
            Assert.Equal(typeof(InvalidOperationException).FullName, error.RemoteType);
            Assert.Equal(7, await client.Proxy<ICalculator>().AddAsync(3, 4)); // the connection goes on
        }
        finally { await StopAsync(server, client); }
    }

    [Fact]
    public async Task A_handler_that_returns_null_instead_of_a_stream_fails_the_call_saying_so()
    {
        var (server, client, streams) = await StartAsync();
        try
        {
            var error = await Assert.ThrowsAsync<RemoteInvocationException>(async () =>
            {
                await foreach (var _ in streams.NullAsync()) { }
            });

            Assert.Equal(typeof(InvalidOperationException).FullName, error.RemoteType); // not a NullReferenceException
            Assert.Equal("The handler returned a null IAsyncEnumerable<Int32>; return an empty sequence for no items.", error.RemoteMessage);
            Assert.Equal(7, await client.Proxy<ICalculator>().AddAsync(3, 4)); // the connection goes on
        }
        finally { await StopAsync(server, client); }
    }

    [Fact]
    public async Task Breaking_out_of_await_foreach_cancels_the_producer_and_disposes_its_iterator()
    {
        var (server, client, streams) = await StartAsync();
        try
        {
            string probe = Guid.NewGuid().ToString("N");
            int taken = 0;
            await foreach (var i in streams.EndlessAsync(probe))
            {
                if (++taken == 5) break;
            }

            await Eventually.TrueAsync(() => streams.ProbeAsync(probe).Result is { Cancelled: true, Disposed: true });
        }
        finally { await StopAsync(server, client); }
    }

    [Fact]
    public async Task Cancelling_the_token_stops_the_consumer_and_the_producer()
    {
        var (server, client, streams) = await StartAsync();
        try
        {
            string probe = Guid.NewGuid().ToString("N");
            using var cts = new CancellationTokenSource();
            int taken = 0;
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
            {
                await foreach (var i in streams.EndlessAsync(probe, cts.Token))
                {
                    if (++taken == 3) cts.Cancel();
                }
            });

            await Eventually.TrueAsync(() => streams.ProbeAsync(probe).Result is { Cancelled: true, Disposed: true });

            // The enumerator's own token (WithCancellation) works the same way.
            string probe2 = Guid.NewGuid().ToString("N");
            using var cts2 = new CancellationTokenSource();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
            {
                await foreach (var i in streams.EndlessAsync(probe2).WithCancellation(cts2.Token))
                    cts2.Cancel();
            });
            await Eventually.TrueAsync(() => streams.ProbeAsync(probe2).Result is { Cancelled: true, Disposed: true });
        }
        finally { await StopAsync(server, client); }
    }

    [Fact]
    public async Task A_slow_consumer_holds_the_producer_to_the_credit_window()
    {
        const int window = 256 * 1024;
        const int size = 64 * 1024; // about 87 KiB of payload as base64 JSON
        var (server, client, streams) = await StartAsync(new IpcOptions { Streams = { CreditWindow = window } });
        try
        {
            string probe = Guid.NewGuid().ToString("N");
            await using var items = streams.ChunksAsync(probe, 400, size).GetAsyncEnumerator();
            Assert.True(await items.MoveNextAsync());

            // The producer runs until its credit is spent, then waits: without the window it would produce all 400.
            await Eventually.TrueAsync(() => streams.ProbeAsync(probe).Result.Produced >= 3);
            await Task.Delay(300);
            long ahead = (await streams.ProbeAsync(probe)).Produced;
            // Sent while credit was positive (at most window / payload + 1 items), plus the one waiting for credit.
            Assert.InRange(ahead, 3, window / (size * 4 / 3) + 2);

            int next = 1;
            while (await items.MoveNextAsync())
            {
                Assert.Equal(next, items.Current.Index);
                Assert.Equal(size, items.Current.Data.Length);
                next++;
            }
            Assert.Equal(400, next);
        }
        finally { await StopAsync(server, client); }
    }

    [Fact]
    public async Task A_connection_that_ends_mid_stream_gives_ChannelFaultedException_never_a_hang()
    {
        var (server, client, streams) = await StartAsync(new IpcOptions { Reconnect = { Enabled = false } });
        try
        {
            string probe = Guid.NewGuid().ToString("N");
            var error = await Assert.ThrowsAsync<ChannelFaultedException>(async () =>
            {
                int taken = 0;
                await foreach (var i in streams.EndlessAsync(probe).ConfigureAwait(false))
                {
                    if (++taken == 3) await server.DisposeAsync();
                }
            }).WaitAsync(TimeSpan.FromSeconds(30));
            Assert.NotNull(error);
        }
        finally { await StopAsync(server, client); }
    }

    [Fact]
    public async Task A_producer_that_sends_nothing_times_out_while_the_consumer_waits_but_a_slow_consumer_does_not()
    {
        // 1.5 s: long enough that a loaded machine delivers a live stream's items in time, short enough for a test.
        var (server, client, streams) = await StartAsync(new IpcOptions { DefaultCallTimeout = TimeSpan.FromMilliseconds(1500) });
        try
        {
            string probe = Guid.NewGuid().ToString("N");
            await Assert.ThrowsAsync<TimeoutException>(async () =>
            {
                await foreach (var i in streams.StallAsync(probe)) { }
            });
            // Probed through a client with the default timeout: this one's 1.5 s is for the stream, and a loaded machine
            // may take longer than that to answer a plain call.
            await using (var prober = await IpcClient.ConnectAsync(server.Endpoint.ToString(), options: O()))
            {
                var probes = prober.Proxy<IStreams>();
                await Eventually.TrueAsync(() => probes.ProbeAsync(probe).Result is { Cancelled: true, Disposed: true });
            }

            // The bound is on waiting for an item, not on the stream's length: a consumer slower than the timeout is fine.
            var seen = new List<int>();
            await foreach (var i in streams.RangeAsync(0, 3))
            {
                seen.Add(i);
                await Task.Delay(2_000); // longer than the timeout: a slow consumer is not a silent producer
            }
            Assert.Equal([0, 1, 2], seen);
        }
        finally { await StopAsync(server, client); }
    }

    private static async Task<List<T>> ToListAsync<T>(IAsyncEnumerable<T> items)
    {
        var list = new List<T>();
        await foreach (var item in items) list.Add(item);
        return list;
    }
}

public sealed class InProcStreams() : StreamConformanceTests("inproc");
public sealed class PipeStreams() : StreamConformanceTests("pipe");
public sealed class TcpStreams() : StreamConformanceTests("tcp");
public sealed class ShmStreams() : StreamConformanceTests("shm");

/// <summary>pipe:// with each connection reading on a thread of its own (<see cref="IpcOptions.DedicatedReaderThread"/>).</summary>
public sealed class PipeDedicatedReaderStreams() : StreamConformanceTests("pipe", dedicatedReader: true);
/// <summary>tcp:// with each connection reading on a thread of its own.</summary>
public sealed class TcpDedicatedReaderStreams() : StreamConformanceTests("tcp", dedicatedReader: true);
