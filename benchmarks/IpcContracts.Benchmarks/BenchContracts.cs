using System.Text.Json.Serialization;
using IpcContracts;

namespace IpcContracts.Benchmarks;

/// <summary>What the remote measurements call on the server process.</summary>
[RequestContract("bench.echo")]
public interface IEcho
{
    /// <summary>Round trip: the payload goes there and back.</summary>
    Task<Payload> EchoAsync(Payload payload);

    /// <summary>One way (bulk): the payload goes there, only its length comes back.</summary>
    Task<int> SinkAsync(Payload payload);

    /// <summary>One way (bulk) as bytes: the payload travels raw in the frame (docs/protocol.md 7.10); its length comes back.</summary>
    Task<int> SinkBytesAsync(ReadOnlyMemory<byte> data);

    /// <summary>One way (bulk) as a Stream: raw chunks of up to 1 MiB (pipe, tcp) or 256 KiB (shm) under the stream's credit window; the length read comes back.</summary>
    Task<long> SinkStreamAsync(Stream data);

    /// <summary>Completes once the server has received <paramref name="total"/> events since it started.</summary>
    Task<long> WaitForEventsAsync(long total);

    /// <summary>A stream result: <paramref name="count"/> payloads of <paramref name="size"/> chars, server to caller.</summary>
    IAsyncEnumerable<Payload> StreamAsync(int count, int size);

    /// <summary>An argument stream, caller to server: the server reads every item and returns how many it read.</summary>
    Task<long> SinkItemsAsync(IAsyncEnumerable<Payload> items);
}

/// <summary>One-way events, published by the measuring process and counted by the server.</summary>
[EventContract("bench.events")]
public interface IBenchEvents
{
    void Tick(Payload payload);
}

/// <summary>The payload of every measurement: a string of the stated size (ASCII, so N chars = N UTF-8 bytes).</summary>
public sealed record Payload(string Data);

[JsonSerializable(typeof(Payload))]
internal sealed partial class BenchJson : JsonSerializerContext;

/// <summary>The server side of the remote measurements (and the handler of the in-process dispatch ones).</summary>
internal sealed class BenchService : IEcho, IBenchEvents
{
    private readonly Lock _gate = new();
    private long _events;
    private long _target = long.MaxValue;
    private TaskCompletionSource<long>? _waiter;

    public long Events => Volatile.Read(ref _events);

    public Task<Payload> EchoAsync(Payload payload) => Task.FromResult(payload);

    public Task<int> SinkAsync(Payload payload) => Task.FromResult(payload.Data.Length);

    public Task<int> SinkBytesAsync(ReadOnlyMemory<byte> data) => Task.FromResult(data.Length);

    public async Task<long> SinkStreamAsync(Stream data)
    {
        var buffer = new byte[64 * 1024];
        long total = 0;
        int read;
        while ((read = await data.ReadAsync(buffer).ConfigureAwait(false)) > 0) total += read;
        return total;
    }

    public async Task<long> SinkItemsAsync(IAsyncEnumerable<Payload> items)
    {
        long count = 0;
        await foreach (var _ in items.ConfigureAwait(false)) count++;
        return count;
    }

    public async IAsyncEnumerable<Payload> StreamAsync(int count, int size)
    {
        var payload = new Payload(new string('x', size));
        for (var i = 0; i < count; i++)
        {
            if ((i & 4095) == 4095) await Task.Yield(); // a producer over an in-memory source: mostly synchronous
            yield return payload;
        }
    }

    public Task<long> WaitForEventsAsync(long total)
    {
        lock (_gate)
        {
            if (_events >= total) return Task.FromResult(_events);
            _target = total;
            _waiter = new TaskCompletionSource<long>();
            return _waiter.Task;
        }
    }

    public void Tick(Payload payload)
    {
        TaskCompletionSource<long>? done;
        long count;
        lock (_gate)
        {
            if (++_events < _target) return;
            _target = long.MaxValue;
            done = _waiter;
            _waiter = null;
            count = _events;
        }
        done?.TrySetResult(count);
    }
}
