using System.Runtime.CompilerServices;
using IpcContracts.TestContracts;
using IpcContracts.Tests.Support;

namespace IpcContracts.Tests.Streaming;

/// <summary>
/// IAsyncEnumerable&lt;T&gt; parameters (caller to handler) and both ways on every transport: order, the handler stopping
/// early, the caller's failure, and flow control (docs/protocol.md 7.9).
/// </summary>
public abstract class ArgumentStreamConformanceTests(string transport)
{
    private async Task<(IpcServer Server, IpcClient Client, IStreams Streams)> StartAsync(IpcOptions? serverOptions = null)
    {
        var server = await IpcServer.StartAsync(Endpoints.For(transport), b => b.Handle<IStreams>(new StreamService()), serverOptions);
        var client = await IpcClient.ConnectAsync(server.Endpoint.ToString());
        return (server, client, client.Proxy<IStreams>());
    }

    private static async Task StopAsync(IpcServer server, IpcClient client)
    {
        await client.DisposeAsync();
        await server.DisposeAsync();
    }

    private sealed class Source
    {
        public long Produced;
        public volatile bool Disposed;

        public async IAsyncEnumerable<int> Numbers(int count, int throwAfter = -1, [EnumeratorCancellation] CancellationToken ct = default)
        {
            try
            {
                for (int i = 1; i <= count; i++)
                {
                    if (i - 1 == throwAfter) throw new InvalidOperationException("the caller's source broke");
                    Interlocked.Increment(ref Produced);
                    if (i % 512 == 0) await Task.Yield();
                    yield return i;
                }
            }
            finally { Disposed = true; }
        }

        public async IAsyncEnumerable<Chunk> Chunks(int count, int size)
        {
            try
            {
                for (int i = 0; i < count; i++)
                {
                    Interlocked.Increment(ref Produced);
                    await Task.Yield();
                    yield return new Chunk(i, new byte[size]);
                }
            }
            finally { Disposed = true; }
        }
    }

    [Fact]
    public async Task The_handler_reads_every_item_in_order()
    {
        var (server, client, streams) = await StartAsync();
        try
        {
            var source = new Source();
            Assert.Equal(50_005_000L, await streams.SumAsync(source.Numbers(10_000)));
            Assert.Equal(0L, await streams.SumAsync(new Source().Numbers(0)));
            await Eventually.TrueAsync(() => source.Disposed);
        }
        finally { await StopAsync(server, client); }
    }

    [Fact]
    public async Task Both_ways_each_item_comes_back_in_order()
    {
        var (server, client, streams) = await StartAsync();
        try
        {
            var doubled = new List<int>();
            await foreach (var n in streams.DoubleAsync(new Source().Numbers(2_000))) doubled.Add(n);
            Assert.Equal(Enumerable.Range(1, 2_000).Select(n => 2 * n), doubled);
        }
        finally { await StopAsync(server, client); }
    }

    /// <summary>
    /// An IProgress&lt;T&gt; next to the stream parameter: the handler's reports reach the caller while the handler is still
    /// reading (the caller's source holds after 300 items until the report for 100 has come back), in order, ending with
    /// the total.
    /// </summary>
    [Fact]
    public async Task A_handler_reports_progress_while_it_reads_the_callers_stream()
    {
        var (server, client, streams) = await StartAsync();
        try
        {
            var gate = new ProgressGate<int>(openAt: 100);
            Assert.Equal(50_005_000L, await streams.SumWithProgressAsync(gate.Numbers(10_000, holdAfter: 300), gate));

            await Eventually.TrueAsync(() => gate.Reports.LastOrDefault() == 10_000); // the last report may follow the reply
            var reports = gate.Reports.ToArray();
            Assert.Equal(reports.Order(), reports);
            Assert.Equal(reports.Length, reports.Distinct().Count());
            Assert.All(reports, r => Assert.True(r % 100 == 0, $"report {r}"));
            Assert.True(reports.Length > 1, "reports were coalesced into one"); // 100 reports, far below any bound that drops

            // No IProgress from the caller: the handler reports all the same, and its reports are dropped.
            Assert.Equal(500_500L, await streams.SumWithProgressAsync(new Source().Numbers(1_000), null!));
        }
        finally { await StopAsync(server, client); }
    }

    [Fact]
    public async Task A_handler_that_stops_reading_stops_the_callers_enumeration()
    {
        var (server, client, streams) = await StartAsync();
        try
        {
            var source = new Source();
            Assert.Equal(5, await streams.TakeAsync(5, source.Numbers(int.MaxValue)));

            // The caller's enumerator is disposed: it does not go on producing into the void.
            await Eventually.TrueAsync(() => source.Disposed);
        }
        finally { await StopAsync(server, client); }
    }

    [Fact]
    public async Task The_callers_enumeration_failing_fails_the_handlers_enumeration_and_the_call()
    {
        var (server, client, streams) = await StartAsync();
        try
        {
            var error = await Assert.ThrowsAsync<RemoteInvocationException>(() => streams.SumAsync(new Source().Numbers(100, throwAfter: 3)));
            Assert.Contains("the caller's source broke", error.RemoteMessage);
            // The handler's enumeration threw a RemoteInvocationException that names the caller's stream, not a handler.
            Assert.Equal(typeof(RemoteInvocationException).FullName, error.RemoteType);
            Assert.StartsWith("The caller's argument stream threw System.InvalidOperationException: ", error.RemoteMessage);
            Assert.Equal(3L, await streams.SumAsync(new Source().Numbers(2))); // the connection goes on
        }
        finally { await StopAsync(server, client); }
    }

    // The handler waits for the next item in ItemQueue: the call's token (the caller cancelled) ends that wait with
    // OperationCanceledException once the items already queued are read, and the connection goes on.
    [Fact]
    public async Task Cancelling_the_call_ends_the_handlers_wait_for_the_next_item()
    {
        var (server, client, streams) = await StartAsync();
        try
        {
            string probe = Guid.NewGuid().ToString("N");
            using var cts = new CancellationTokenSource();
            var upload = streams.UploadAsync(probe, 0, TwoChunksThenNothing(cts.Token), cts.Token);

            await Eventually.TrueAsync(async () => (await streams.ProbeAsync(probe)).Produced == 2);
            cts.Cancel();

            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => upload);
            await Eventually.TrueAsync(async () => (await streams.ProbeAsync(probe)) is { Cancelled: true, Disposed: true, Produced: 2 });
            Assert.Equal(3L, await streams.SumAsync(new Source().Numbers(2))); // the connection goes on
        }
        finally { await StopAsync(server, client); }
    }

    // Regression (CI, session 13): the caller cancelling the call also cancels its sequence, whose OperationCanceledException
    // the caller's pump reported to the handler as a failure; whether the handler then saw a failure or a cancellation
    // depended on which of the two frames (StreamEnd, Cancel) its wait saw first. A cancelled sequence now ends the handler's
    // enumeration as cancelled, whatever the call's token: here the sequence is cancelled on its own, deterministically.
    // Regression (session 24): the handler's OperationCanceledException was then answered as "remote", because its own
    // token was not cancelled, so a caller whose Cancel came after that Error (Cancelling_the_call_ends_the_handlers_wait_
    // for_the_next_item, rarely) got RemoteInvocationException for its own cancellation. It is answered as cancelled now.
    [Fact]
    public async Task A_caller_sequence_that_is_cancelled_ends_the_handlers_enumeration_as_cancelled()
    {
        var (server, client, streams) = await StartAsync();
        try
        {
            string probe = Guid.NewGuid().ToString("N");
            var upload = streams.UploadAsync(probe, 0, TwoChunksThenCancelled());

            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => upload);
            await Eventually.TrueAsync(async () => (await streams.ProbeAsync(probe)) is { Cancelled: true, Disposed: true, Produced: 2 });
            Assert.Equal(3L, await streams.SumAsync(new Source().Numbers(2))); // the connection goes on
        }
        finally { await StopAsync(server, client); }
    }

    private static async IAsyncEnumerable<Chunk> TwoChunksThenCancelled()
    {
        yield return new Chunk(0, new byte[16]);
        yield return new Chunk(1, new byte[16]);
        await Task.Yield();
        throw new OperationCanceledException("the caller's sequence was cancelled");
    }

    private static async IAsyncEnumerable<Chunk> TwoChunksThenNothing([EnumeratorCancellation] CancellationToken ct = default)
    {
        yield return new Chunk(0, new byte[16]);
        yield return new Chunk(1, new byte[16]);
        await Task.Delay(Timeout.Infinite, ct);
    }

    [Fact]
    public async Task A_slow_handler_holds_the_caller_to_its_credit_window()
    {
        const int window = 256 * 1024;
        const int size = 64 * 1024; // about 87 KiB of payload as base64 JSON
        var (server, client, streams) = await StartAsync(new IpcOptions { Streams = { CreditWindow = window } });
        try
        {
            string probe = Guid.NewGuid().ToString("N");
            var source = new Source();
            // A pause far longer than the checks below take, even on a loaded machine with every test class starting at
            // once (1.5 s was not: the first probe alone took longer, the handler had resumed and read all 100 chunks).
            var upload = streams.UploadAsync(probe, 8_000, source.Chunks(100, size));

            // The handler has read one chunk and pauses; the caller may send only what the window allows meanwhile.
            await Eventually.TrueAsync(async () => (await streams.ProbeAsync(probe)).Produced >= 1);
            await Task.Delay(500);
            Assert.InRange(Interlocked.Read(ref source.Produced), 1, window / (size * 4 / 3) + 3);
            Assert.Equal(1, (await streams.ProbeAsync(probe)).Produced); // the premise: the handler was paused all along

            Assert.Equal(100, await upload.WaitAsync(TimeSpan.FromSeconds(60)));
        }
        finally { await StopAsync(server, client); }
    }
}

public sealed class InProcArgumentStreams() : ArgumentStreamConformanceTests("inproc");
public sealed class PipeArgumentStreams() : ArgumentStreamConformanceTests("pipe");
public sealed class TcpArgumentStreams() : ArgumentStreamConformanceTests("tcp");
public sealed class ShmArgumentStreams() : ArgumentStreamConformanceTests("shm");
