using System.Buffers;
using System.IO.Pipelines;
using IpcContracts.TestContracts;
using IpcContracts.Tests.Support;

namespace IpcContracts.Tests.Streaming;

/// <summary>
/// Bytes as bytes on every transport (docs/protocol.md 7.10, docs/semantics.md "Bytes"): binary arguments, results and
/// stream items, Stream and PipeReader parameters and results, with the faults and cancellation of streams.
/// Cross-process cases live in <see cref="CrossProcess.CrossProcessTests"/>; the wire form in Protocol/BinaryWireTests.
/// </summary>
public abstract class BinaryConformanceTests(string transport, bool dedicatedReader = false)
{
    /// <summary>
    /// The options a case passes, with <see cref="IpcOptions.DedicatedReaderThread"/> <c>true</c> in the "DedicatedReader" classes
    /// and <c>false</c> in the others, so those always cover the thread pool's read path (the automatic default:
    /// Liveness/AutomaticReaderThreadTests and the cross-process suites).
    /// </summary>
    private IpcOptions? O(IpcOptions? given = null) => ReaderOptions.Apply(given, dedicatedReader);

    private async Task<(IpcServer Server, IpcClient Client, IBlobs Blobs)> StartAsync()
    {
        var server = await IpcServer.StartAsync(Endpoints.For(transport), b => b.Handle<IBlobs>(new BlobService()), O());
        var client = await IpcClient.ConnectAsync(server.Endpoint.ToString(), options: O());
        return (server, client, client.Proxy<IBlobs>());
    }

    private static async Task StopAsync(IpcServer server, IpcClient client)
    {
        await client.DisposeAsync();
        await server.DisposeAsync();
    }

    [Fact]
    public async Task Binary_arguments_and_results_round_trip_exactly_including_null_and_empty()
    {
        var (server, client, blobs) = await StartAsync();
        try
        {
            var data = Patterns.Bytes(300_000, 1);
            Assert.Equal(Patterns.Checksum(data), await blobs.ChecksumAsync("a", data));
            Assert.Equal(-1, await blobs.ChecksumAsync("null", null));
            Assert.Equal(Patterns.Checksum([]), await blobs.ChecksumAsync("empty", []));

            Assert.Equal(data, (await blobs.EchoMemoryAsync(data)).ToArray());
            Assert.Equal(0, (await blobs.EchoMemoryAsync(ReadOnlyMemory<byte>.Empty)).Length);
            // A sequence of several segments arrives as the same bytes.
            var sequence = Segments.Of(data.AsMemory(0, 1000), data.AsMemory(1000, 5), data.AsMemory(1005));
            Assert.Equal(data, (await blobs.EchoSequenceAsync(sequence)).ToArray());
        }
        finally { await StopAsync(server, client); }
    }

    [Fact]
    public async Task Large_binary_arguments_and_results_are_the_receivers_own_arrays_after_later_calls()
    {
        // Over 1 MiB: on pipe, tcp and shm these frames are read straight into the array the receiver gets
        // (Connections/LargeFrame); the handler keeps its byte[] and the caller its results while later frames arrive.
        var (server, client, blobs) = await StartAsync();
        try
        {
            var first = Patterns.Bytes(3 << 20, 11);
            var second = Patterns.Bytes(3 << 20, 12);
            var slot = Guid.NewGuid().ToString("N");
            Assert.Equal(Patterns.Checksum(first), await blobs.KeepAsync(slot + "a", first));
            Assert.Equal(Patterns.Checksum(second), await blobs.KeepAsync(slot + "b", second));
            var echoed = await blobs.EchoMemoryAsync(first);
            var again = await blobs.EchoMemoryAsync(second);
            var sequence = await blobs.EchoSequenceAsync(new ReadOnlySequence<byte>(first));
            Assert.Equal(Patterns.Checksum(first), await blobs.KeptChecksumAsync(slot + "a"));
            Assert.Equal(Patterns.Checksum(second), await blobs.KeptChecksumAsync(slot + "b"));
            Assert.Equal(first, echoed.ToArray());
            Assert.Equal(second, again.ToArray());
            Assert.Equal(first, sequence.ToArray());
            // Results are distinct arrays: neither was handed out twice.
            Assert.True(System.Runtime.InteropServices.MemoryMarshal.TryGetArray(echoed, out var a));
            Assert.True(System.Runtime.InteropServices.MemoryMarshal.TryGetArray(again, out var b));
            Assert.NotSame(a.Array, b.Array);
        }
        finally { await StopAsync(server, client); }
    }

    [Fact]
    public async Task Stream_chunks_lent_from_the_pool_are_never_shared_while_queued_and_plain_binary_items_stay_the_consumers()
    {
        // A Stream result's chunks are lent from a pool and go back as the reader asks for the next one. A reader that falls
        // behind has up to a credit window of chunks queued at once: each must still hold its own bytes when read (two
        // queued chunks sharing one buffer would show the later bytes in the earlier place).
        var (server, client, blobs) = await StartAsync();
        try
        {
            const long Length = 4 * 1024 * 1024 + 17;
            await using (var stream = await blobs.DownloadAsync(Guid.NewGuid().ToString("N"), Length))
            {
                var piece = new byte[1000];
                long position = 0;
                var waited = false;
                int read;
                while ((read = await stream.ReadAsync(piece)) > 0)
                {
                    for (var i = 0; i < read; i++)
                        if (piece[i] != Patterns.At(position + i)) Assert.Fail($"Byte {position + i} is {piece[i]}, not {Patterns.At(position + i)}.");
                    position += read;
                    if (!waited)
                    {
                        waited = true;
                        await Task.Delay(200); // let the window's worth of chunks queue behind the first (not a timing assertion)
                    }
                }
                Assert.Equal(Length, position);
            }
            // The same chunk shapes as plain IAsyncEnumerable<ReadOnlyMemory<byte>> items: each is the consumer's to keep.
            var kept = new List<ReadOnlyMemory<byte>>();
            await foreach (var item in blobs.PiecesAsync(40, 64 * 1024)) kept.Add(item);
            for (var i = 0; i < kept.Count; i++) Assert.Equal(Patterns.Bytes(64 * 1024, i), kept[i].ToArray());
            // Items of 512 KiB are read from the transport into pooled buffers when they arrive in parts (LargeFrame): a
            // consumer that keeps its items must still get arrays of its own, never a buffer the pool hands out again.
            kept.Clear();
            await foreach (var item in blobs.PiecesAsync(12, 512 * 1024)) kept.Add(item);
            Assert.Equal(12, kept.Count);
            for (var i = 0; i < kept.Count; i++) Assert.Equal(Patterns.Bytes(512 * 1024, i), kept[i].ToArray());
        }
        finally { await StopAsync(server, client); }
    }

    [Fact]
    public async Task Binary_stream_items_arrive_in_order()
    {
        var (server, client, blobs) = await StartAsync();
        try
        {
            var i = 0;
            await foreach (var piece in blobs.PiecesAsync(200, 10_000))
                Assert.Equal(Patterns.Bytes(10_000, i++), piece.ToArray());
            Assert.Equal(200, i);
        }
        finally { await StopAsync(server, client); }
    }

    [Fact]
    public async Task A_Stream_result_reads_every_byte_the_handler_stream_held_and_is_disposed_there()
    {
        var (server, client, blobs) = await StartAsync();
        try
        {
            var probe = Guid.NewGuid().ToString("N");
            const long Length = 5 * 1024 * 1024 + 123; // not a multiple of the chunk size
            await using (var stream = await blobs.DownloadAsync(probe, Length))
                Assert.Equal(Patterns.PatternChecksum(Length), await ChecksumAsync(stream));
            await Eventually.TrueAsync(async () => (await blobs.ProbeAsync(probe)).Disposed);

            await using var empty = await blobs.DownloadAsync(Guid.NewGuid().ToString("N"), 0);
            Assert.Equal(0, await empty.ReadAsync(new byte[10]));
        }
        finally { await StopAsync(server, client); }
    }

    [Fact]
    public async Task CopyToAsync_from_a_Stream_result_writes_whole_chunks_and_every_byte()
    {
        var (server, client, blobs) = await StartAsync();
        try
        {
            const long Length = 3 * 1024 * 1024 + 77;
            await using var stream = await blobs.DownloadAsync(Guid.NewGuid().ToString("N"), Length);
            var first = new byte[1_000];
            var read = await stream.ReadAsync(first); // a partial read first: CopyToAsync goes on from there
            using var rest = new WriteSizes();
            await stream.CopyToAsync(rest, 4_096);
            Assert.Equal(Length, read + rest.Length);
            Assert.Equal(Patterns.PatternChecksum(Length), Patterns.Checksum(rest.ToArray(), Patterns.Checksum(first.AsSpan(0, read))));
            Assert.Equal(Length, stream.Position);
            // Chunks are written as they came (64 KiB and more), not through a 4 KiB copy buffer.
            Assert.True(rest.Largest > 4_096, $"largest write: {rest.Largest} B");
        }
        finally { await StopAsync(server, client); }
    }

    private sealed class WriteSizes : MemoryStream
    {
        public int Largest;

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Largest = Math.Max(Largest, buffer.Length);
            return base.WriteAsync(buffer, cancellationToken);
        }
    }

    [Fact]
    public async Task Disposing_a_Stream_result_early_stops_the_handler_stream()
    {
        var (server, client, blobs) = await StartAsync();
        try
        {
            var probe = Guid.NewGuid().ToString("N");
            var stream = await blobs.DownloadAsync(probe, long.MaxValue); // endless unless stopped
            Assert.Equal(1000, await stream.ReadAtLeastAsync(new byte[1000], 1000));
            await stream.DisposeAsync();

            await Eventually.TrueAsync(async () => await blobs.ProbeAsync(probe) is { Cancelled: true, Disposed: true });
            // The credit window bounds what was produced: far less than "endless".
            Assert.True((await blobs.ProbeAsync(probe)).Produced < 64L * 1024 * 1024);
        }
        finally { await StopAsync(server, client); }
    }

    [Fact]
    public async Task Cancelling_a_read_of_a_Stream_result_abandons_the_wait_and_loses_no_bytes()
    {
        var (server, client, blobs) = await StartAsync();
        try
        {
            var probe = Guid.NewGuid().ToString("N");
            await using var stream = await blobs.StallingDownloadAsync(probe, 1000);
            var buffer = new byte[4096];
            Assert.Equal(1000, await stream.ReadAtLeastAsync(buffer, 1000)); // the first part; the handler now waits
            using (var cts = new CancellationTokenSource())
            {
                var read = stream.ReadAsync(buffer, cts.Token).AsTask();
                cts.Cancel();
                await Assert.ThrowsAnyAsync<OperationCanceledException>(() => read.WaitAsync(TimeSpan.FromSeconds(30))); // bounded: a wait that ignores the token fails, not hangs
            }
            await blobs.ReleaseAsync(probe); // the handler sends the rest
            Assert.Equal(1000, await stream.ReadAtLeastAsync(buffer, 1000));
            for (var i = 0; i < 1000; i++) Assert.Equal(Patterns.At(1000 + i), buffer[i]);
            Assert.Equal(0, await stream.ReadAsync(buffer));
        }
        finally { await StopAsync(server, client); }
    }

    [Fact]
    public async Task A_handler_that_fails_before_its_Stream_exists_throws_at_the_await()
    {
        var (server, client, blobs) = await StartAsync();
        try
        {
            var e = await Assert.ThrowsAsync<RemoteInvocationException>(() => blobs.FailBeforeStreamAsync("no package"));
            Assert.Equal("no package", e.RemoteMessage);
        }
        finally { await StopAsync(server, client); }
    }

    /// <summary>
    /// A Stream argument with an IProgress&lt;T&gt; next to it: the handler's reports of bytes read reach the caller while it
    /// reads (the caller's stream holds at 1 MiB until a report of 512 KiB has come back), in order, ending with the length.
    /// </summary>
    [Fact]
    public async Task A_Stream_argument_with_progress_reports_back_while_the_handler_reads()
    {
        var (server, client, blobs) = await StartAsync();
        try
        {
            var data = Patterns.Bytes(3 * 1024 * 1024 + 5, 8);
            var gate = new ProgressGate<long>(openAt: 512 * 1024);
            Assert.Equal(Patterns.Checksum(data), await blobs.UploadWithProgressAsync(gate.Bytes(data, holdAt: 1024 * 1024), gate));

            await Eventually.TrueAsync(() => gate.Reports.LastOrDefault() == data.Length);
            var reports = gate.Reports.ToArray();
            Assert.Equal(reports.Order(), reports);
            Assert.Equal(reports.Length, reports.Distinct().Count());
        }
        finally { await StopAsync(server, client); }
    }

    [Fact]
    public async Task A_Stream_argument_reaches_the_handler_whole_even_when_it_reads_slowly()
    {
        var (server, client, blobs) = await StartAsync();
        try
        {
            var data = Patterns.Bytes(4 * 1024 * 1024 + 7, 3);
            using var source = new MemoryStream(data);
            Assert.Equal(Patterns.Checksum(data), await blobs.UploadAsync("slow", pauseMs: 20, source));
            Assert.True(source.CanRead, "the caller's stream is the caller's: read, not disposed");

            Assert.Equal(Patterns.Checksum([]), await blobs.UploadAsync("empty", 0, new MemoryStream()));
        }
        finally { await StopAsync(server, client); }
    }

    [Fact]
    public async Task A_MemoryStream_argument_is_sent_from_its_own_array_and_arrives_as_its_unread_bytes()
    {
        var (server, client, blobs) = await StartAsync();
        try
        {
            // A view over part of an array, partly read already: what is left of it is what must arrive. 3 MiB and a
            // sliver, so the chunks are as large as the window allows and the last one is below the borrowing minimum.
            var data = Patterns.Bytes(3 * 1024 * 1024 + 12_345, 11);
            const int origin = 1_000, skipped = 4_321, cut = 500;
            using var view = new MemoryStream(data, origin, data.Length - origin - cut, writable: false);
            view.Position = skipped;
            var before = client.Connection.BorrowedWritesStarted;
            Assert.Equal(Patterns.Checksum(data.AsSpan(origin + skipped, data.Length - origin - cut - skipped)), await blobs.UploadAsync("view", 0, view));
            Assert.Equal(view.Length, view.Position);
            // The frames referenced the array (ByteChunkFrames.BorrowingSink) instead of copies of it.
            Assert.True(client.Connection.BorrowedWritesStarted - before >= 3, $"borrowed writes: {client.Connection.BorrowedWritesStarted - before}");

            // A type derived from MemoryStream may read differently: it is read through its ReadAsync, as any stream.
            using var derived = new CountingMemoryStream(data);
            before = client.Connection.BorrowedWritesStarted;
            Assert.Equal(Patterns.Checksum(data), await blobs.UploadAsync("derived", 0, derived));
            Assert.True(derived.Reads > 0);
            Assert.Equal(before, client.Connection.BorrowedWritesStarted);
        }
        finally { await StopAsync(server, client); }
    }

    [Fact]
    public async Task A_Stream_argument_that_cannot_be_read_is_refused_at_the_call_and_nothing_is_sent()
    {
        var (server, client, blobs) = await StartAsync();
        try
        {
            var disposed = new MemoryStream(Patterns.Bytes(1000, 3));
            disposed.Dispose();
            // Thrown by the proxy itself, before the call is started (the arguments are checked before the Request is built).
            var e = Assert.Throws<ArgumentException>(() => { _ = blobs.UploadAsync("disposed", 0, disposed); });
            Assert.Contains("CanRead is false", e.Message);
            Assert.Equal(Patterns.Checksum(Patterns.Bytes(1000, 3)), await blobs.UploadAsync("readable", 0, new MemoryStream(Patterns.Bytes(1000, 3))));
        }
        finally { await StopAsync(server, client); }
    }

    private sealed class CountingMemoryStream(byte[] data) : MemoryStream(data, writable: false)
    {
        public int Reads;

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Reads++;
            return base.ReadAsync(buffer, cancellationToken);
        }
    }

    [Fact]
    public async Task A_synchronous_read_on_the_frame_thread_fails_that_call_instead_of_hanging_the_connection_and_works_elsewhere()
    {
        var (server, client, blobs) = await StartAsync();
        try
        {
            var data = Patterns.Bytes(300_000, 6);
            // Bounded: before the fix this read waited for bytes only its own (blocked) thread could deliver.
            var e = await Assert.ThrowsAsync<RemoteInvocationException>(
                () => blobs.ReadSynchronouslyAsync(offTheFrameThread: false, new MemoryStream(data)).WaitAsync(TimeSpan.FromSeconds(60)));
            Assert.Equal(typeof(InvalidOperationException).FullName, e.RemoteType);
            Assert.Contains("ReadAsync", e.RemoteMessage);

            // The connection goes on, and the same synchronous reads from a pool thread read every byte.
            Assert.Equal(Patterns.Checksum(data), await blobs.ReadSynchronouslyAsync(offTheFrameThread: true, new MemoryStream(data)));
        }
        finally { await StopAsync(server, client); }
    }

    [Fact]
    public async Task PipeReader_results_and_arguments_carry_the_same_bytes()
    {
        var (server, client, blobs) = await StartAsync();
        try
        {
            const long Length = 3 * 1024 * 1024 + 5;
            var reader = await blobs.DownloadPipeAsync(Length);
            var hash = Patterns.ChecksumSeed;
            while (true)
            {
                var result = await reader.ReadAsync();
                foreach (var segment in result.Buffer) hash = Patterns.Checksum(segment.Span, hash);
                reader.AdvanceTo(result.Buffer.End);
                if (result.IsCompleted) break;
            }
            await reader.CompleteAsync();
            Assert.Equal(Patterns.PatternChecksum(Length), hash);

            var data = Patterns.Bytes(2 * 1024 * 1024 + 1, 4);
            Assert.Equal(Patterns.Checksum(data), await blobs.UploadPipeAsync(PipeReader.Create(new MemoryStream(data))));
        }
        finally { await StopAsync(server, client); }
    }

    [Fact]
    public async Task A_connection_that_ends_mid_Stream_faults_the_reader_instead_of_hanging()
    {
        var (server, client, blobs) = await StartAsync();
        try
        {
            var stream = await blobs.DownloadAsync(Guid.NewGuid().ToString("N"), long.MaxValue);
            Assert.Equal(1000, await stream.ReadAtLeastAsync(new byte[1000], 1000));
            await server.DisposeAsync();

            await Assert.ThrowsAnyAsync<ChannelFaultedException>(async () =>
            {
                var buffer = new byte[64 * 1024];
                while (await stream.ReadAsync(buffer) > 0) { }
            });
        }
        finally { await StopAsync(server, client); }
    }

    [Fact]
    public async Task An_event_with_a_binary_argument_reaches_the_subscriber_with_its_bytes()
    {
        var server = await IpcServer.StartAsync(Endpoints.For(transport), _ => { }, O());
        var received = new TaskCompletionSource<(string, byte[])>(TaskCreationOptions.RunContinuationsAsynchronously);
        var client = await IpcClient.ConnectAsync(server.Endpoint.ToString(), options: O());
        try
        {
            await client.SubscribeAsync<IBlobEvents>(new BlobListener(received));
            var data = Patterns.Bytes(100_000, 9);
            server.Publisher<IBlobEvents>().Stored("x", data);

            var (name, bytes) = await received.Task.WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Equal("x", name);
            Assert.Equal(data, bytes);
        }
        finally { await StopAsync(server, client); }
    }

    private sealed class BlobListener(TaskCompletionSource<(string, byte[])> received) : IBlobEvents
    {
        public void Stored(string name, byte[] data) => received.TrySetResult((name, data));
    }

    private static async Task<long> ChecksumAsync(Stream stream)
    {
        var buffer = new byte[50_000]; // not the chunk size: reads straddle chunks
        var hash = Patterns.ChecksumSeed;
        int read;
        while ((read = await stream.ReadAsync(buffer)) > 0) hash = Patterns.Checksum(buffer.AsSpan(0, read), hash);
        return hash;
    }
}

public sealed class InProcBinary() : BinaryConformanceTests("inproc");
public sealed class PipeBinary() : BinaryConformanceTests("pipe");
public sealed class TcpBinary() : BinaryConformanceTests("tcp");
public sealed class ShmBinary() : BinaryConformanceTests("shm");

/// <summary>pipe:// with each connection reading on a thread of its own (<see cref="IpcOptions.DedicatedReaderThread"/>).</summary>
public sealed class PipeDedicatedReaderBinary() : BinaryConformanceTests("pipe", dedicatedReader: true);
/// <summary>tcp:// with each connection reading on a thread of its own.</summary>
public sealed class TcpDedicatedReaderBinary() : BinaryConformanceTests("tcp", dedicatedReader: true);
