using System.Collections.Concurrent;

namespace IpcContracts.TestContracts;

/// <summary>
/// A handler that reads its argument stream only as far as a test lets it, so a test can hold the credit window still
/// while a hand-written caller breaks it (docs/protocol.md 7.9: an item beyond the credit).
/// </summary>
[RequestContract("test.gated-reads")]
public interface IGatedReads
{
    /// <summary>Reads one item, waits until <see cref="GatedReadService.Open"/> opens <paramref name="gate"/>, then reads the rest and returns how many it read.</summary>
    Task<int> ReadAfterGateAsync(string gate, IAsyncEnumerable<int> items, CancellationToken cancellationToken = default);
}

/// <summary>The <see cref="IGatedReads"/> handler; gates and counts are static so a test reaches them by name.</summary>
public sealed class GatedReadService : IGatedReads
{
    private static readonly ConcurrentDictionary<string, TaskCompletionSource> Gates = new();
    private static readonly ConcurrentDictionary<string, int> Counts = new();

    private static TaskCompletionSource Gate(string gate) =>
        Gates.GetOrAdd(gate, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));

    /// <summary>Lets the handler waiting at <paramref name="gate"/> read on.</summary>
    public static void Open(string gate) => Gate(gate).TrySetResult();

    /// <summary>Items the handler of <paramref name="gate"/> has read so far (it may end by throwing, so it is kept here).</summary>
    public static int ReadCount(string gate) => Counts.GetValueOrDefault(gate);

    public async Task<int> ReadAfterGateAsync(string gate, IAsyncEnumerable<int> items, CancellationToken cancellationToken = default)
    {
        var read = 0;
        await foreach (var _ in items.WithCancellation(cancellationToken))
        {
            Counts[gate] = ++read;
            if (read == 1) await Gate(gate).Task.WaitAsync(cancellationToken);
        }
        return read;
    }
}
