using System.Text.Json.Serialization;
using IpcContracts;

namespace IpcContracts.TestContracts;

/// <summary>Request contract covering the call shapes the runtime tests exercise.</summary>
[RequestContract("test.calculator")]
public interface ICalculator
{
    Task<int> GetAnswerAsync();
    Task<int> AddAsync(int a, int b, CancellationToken cancellationToken = default);
    Task<string> EchoAsync(string text);
    ValueTask<Totals> SumAsync(int[] values, string label, bool negate, CancellationToken cancellationToken = default);
    Task NoResultAsync(string note);
    ValueTask<int> IncrementAsync(int value);
    Task<byte[]> EchoBytesAsync(byte[] data);
    Task<int> SizeOfAsync(byte[] data);
    Task<byte[]> MakeBytesAsync(int length, int seed);
    Task<int> WaitUntilCancelledAsync(string probe, CancellationToken cancellationToken);
    Task<int> ThrowAsync(string message);
    Task<string> CallBackAsync(string text);
    Task<int> DelayAsync(int milliseconds, CancellationToken cancellationToken);
    Task PublishTicksAsync(string source, int count);
}

/// <summary>Handled by clients; the server calls it during <see cref="ICalculator.CallBackAsync"/>.</summary>
[RequestContract("test.callback")]
public interface IClientCallback
{
    Task<string> TransformAsync(string text);
}

/// <summary>Event contract.</summary>
[EventContract("test.ticks")]
public interface ITicks
{
    void Tick(Tick tick);
    Task Reset(string reason);
}

/// <summary>Registered by nobody: calls to it must fail with ContractMismatchException.</summary>
[RequestContract("test.unhandled")]
public interface IUnhandled
{
    Task<int> NobodyAnswersAsync();
}

/// <summary>Stream results: order, flow control, cancellation and faults (handled by <see cref="StreamService"/>).</summary>
[RequestContract("test.streams")]
public interface IStreams
{
    /// <summary>start, start + 1, ... (count items).</summary>
    IAsyncEnumerable<int> RangeAsync(int start, int count, CancellationToken cancellationToken = default);

    /// <summary>count chunks of size bytes each; the probe counts how many the producer has produced.</summary>
    IAsyncEnumerable<Chunk> ChunksAsync(string probe, int count, int size, CancellationToken cancellationToken = default);

    /// <summary>count items, then throws InvalidOperationException(message).</summary>
    IAsyncEnumerable<int> FailAfterAsync(int count, string message);

    /// <summary>0, 1, 2, ... until cancelled; the probe records what the producer saw.</summary>
    IAsyncEnumerable<int> EndlessAsync(string probe, CancellationToken cancellationToken = default);

    /// <summary>Never yields: waits for cancellation before its first item.</summary>
    IAsyncEnumerable<int> StallAsync(string probe, CancellationToken cancellationToken = default);

    /// <summary>An empty stream.</summary>
    IAsyncEnumerable<string> NothingAsync();

    /// <summary>Not an iterator: returns null, a handler bug its caller must see named as such.</summary>
    IAsyncEnumerable<int> NullAsync();

    /// <summary>Reads every item of an argument stream and sums them.</summary>
    Task<long> SumAsync(IAsyncEnumerable<int> numbers, CancellationToken cancellationToken = default);

    /// <summary>Reads take items of the argument stream, then returns without reading more.</summary>
    Task<int> TakeAsync(int take, IAsyncEnumerable<int> numbers);

    /// <summary>Both ways: each item of the argument stream comes back doubled.</summary>
    IAsyncEnumerable<int> DoubleAsync(IAsyncEnumerable<int> numbers, CancellationToken cancellationToken = default);

    /// <summary>Sums an argument stream, reporting how many items it has read after every 100th, and the total if it is not one of those.</summary>
    Task<long> SumWithProgressAsync(IAsyncEnumerable<int> numbers, IProgress<int> read, CancellationToken cancellationToken = default);

    /// <summary>Reads one chunk, records it in the probe, waits pauseMs, then reads the rest; returns how many.</summary>
    Task<int> UploadAsync(string probe, int pauseMs, IAsyncEnumerable<Chunk> chunks, CancellationToken cancellationToken = default);

    /// <summary>What the producer of a probe has done so far.</summary>
    Task<StreamProbe> ProbeAsync(string probe);
}

/// <summary>Bytes as bytes (docs/protocol.md 7.10), handled by <see cref="BlobService"/>.</summary>
[RequestContract("test.blobs")]
public interface IBlobs
{
    /// <summary>A binary argument next to another: Patterns.Checksum of the bytes, or -1 for null.</summary>
    Task<long> ChecksumAsync(string label, byte[]? data);

    Task<ReadOnlyMemory<byte>> EchoMemoryAsync(ReadOnlyMemory<byte> data);

    Task<System.Buffers.ReadOnlySequence<byte>> EchoSequenceAsync(System.Buffers.ReadOnlySequence<byte> data);

    /// <summary>Keeps the array it was given under slot (the handler owns it) and returns Patterns.Checksum of it.</summary>
    Task<long> KeepAsync(string slot, byte[] data);

    /// <summary>Patterns.Checksum of the array kept under slot now, or -1.</summary>
    Task<long> KeptChecksumAsync(string slot);

    /// <summary>
    /// Keeps a copy of the bytes under slot as soon as the Request arrives (a Cancel that follows changes nothing) and
    /// returns Patterns.Checksum of them; read back with KeptChecksumAsync.
    /// </summary>
    Task<long> KeepMemoryAsync(string slot, ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default);

    /// <summary>count pieces of Patterns.Bytes(size, i): a stream of binary items.</summary>
    IAsyncEnumerable<ReadOnlyMemory<byte>> PiecesAsync(int count, int size);

    /// <summary>length pattern bytes (Patterns.At), produced as they are read; the probe records progress and disposal.</summary>
    Task<Stream> DownloadAsync(string probe, long length, CancellationToken cancellationToken = default);

    Task<System.IO.Pipelines.PipeReader> DownloadPipeAsync(long length);

    /// <summary>Reads the whole stream (pausing pauseMs per 1 MiB) and returns Patterns.Checksum of what it read.</summary>
    Task<long> UploadAsync(string label, int pauseMs, Stream data, CancellationToken cancellationToken = default);

    /// <summary>Reads a Stream argument to its end, reporting the bytes read so far after each read; Patterns.Checksum of them.</summary>
    Task<long> UploadWithProgressAsync(Stream data, IProgress<long> received, CancellationToken cancellationToken = default);

    Task<long> UploadPipeAsync(System.IO.Pipelines.PipeReader data);

    /// <summary>
    /// Reads the stream to its end with synchronous Read calls: in the handler's synchronous part (on the thread that
    /// reads frames) or, with offTheFrameThread, from a pool thread; returns Patterns.Checksum of what it read.
    /// </summary>
    Task<long> ReadSynchronouslyAsync(bool offTheFrameThread, Stream data);

    /// <summary>part pattern bytes, then nothing until ReleaseAsync(probe), then the next part bytes, then the end.</summary>
    Task<Stream> StallingDownloadAsync(string probe, int part);

    Task ReleaseAsync(string probe);

    /// <summary>Throws InvalidOperationException(message) before any stream exists.</summary>
    Task<Stream> FailBeforeStreamAsync(string message);

    /// <summary>What the Stream of a probe has done so far.</summary>
    Task<StreamProbe> ProbeAsync(string probe);
}

/// <summary>An event with a binary argument.</summary>
[EventContract("test.blob-events")]
public interface IBlobEvents
{
    void Stored(string name, byte[] data);
}

/// <summary>IProgress&lt;T&gt; parameters (handled by <see cref="JobService"/>).</summary>
[RequestContract("test.jobs")]
public interface IJobs
{
    /// <summary>Reports 1..count, then returns count.</summary>
    Task<int> CountToAsync(int count, IProgress<int>? progress, CancellationToken cancellationToken = default);

    /// <summary>Reports "started", then throws InvalidOperationException(message).</summary>
    Task FailAfterReportAsync(string message, IProgress<string> progress);
}

/// <summary>
/// Per-method deadlines (handled by <see cref="TimeoutService"/>). Every method waits for its probe's signal
/// (<see cref="TimeoutService.Release"/>) or its call's cancellation, so tests order events by signals, not by time.
/// </summary>
[RequestContract("test.timeouts")]
public interface ITimeouts
{
    /// <summary>No attribute: the connection's IpcOptions.DefaultCallTimeout.</summary>
    Task<string> DefaultAsync(string probe, CancellationToken cancellationToken = default);

    /// <summary>Shorter than the default: times out unless a scope says otherwise.</summary>
    [ContractMethod(TimeoutMilliseconds = 300)]
    Task<string> ShortAsync(string probe, CancellationToken cancellationToken = default);

    /// <summary>A long poll: no deadline of its own.</summary>
    [ContractMethod(TimeoutMilliseconds = Timeout.Infinite)]
    Task<string> LongPollAsync(string probe, CancellationToken cancellationToken = default);

    /// <summary>Yields 0, waits for the probe's signal, then yields 1 and ends.</summary>
    [ContractMethod(TimeoutMilliseconds = 300)]
    IAsyncEnumerable<int> ShortStreamAsync(string probe, CancellationToken cancellationToken = default);

    /// <summary>Like <see cref="ShortStreamAsync"/>, without a deadline between items.</summary>
    [ContractMethod(TimeoutMilliseconds = Timeout.Infinite)]
    IAsyncEnumerable<int> QuietStreamAsync(string probe, CancellationToken cancellationToken = default);
}

public sealed record Chunk(int Index, byte[] Data);
public sealed record StreamProbe(long Produced, bool Cancelled, bool Disposed);

public sealed record Totals(int Sum, string Label);
public sealed record Tick(int Sequence, string Source);

// Aggregator messages.
public sealed record PriceChanged(string Sku, decimal Price);
public sealed record GetPrice(string Sku);
public sealed record Price(string Sku, decimal Value);

[JsonSerializable(typeof(Chunk))]
[JsonSerializable(typeof(StreamProbe))]
[JsonSerializable(typeof(Totals))]
[JsonSerializable(typeof(Tick))]
[JsonSerializable(typeof(PriceChanged))]
[JsonSerializable(typeof(GetPrice))]
[JsonSerializable(typeof(Price))]
internal sealed partial class TestJson : JsonSerializerContext;
