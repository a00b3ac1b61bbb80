using System.Collections.Concurrent;
using System.Runtime.CompilerServices;

namespace IpcContracts.TestContracts;

/// <summary>The ITimeouts implementation: each call waits for its probe's signal or its cancellation, and records which came.</summary>
public sealed class TimeoutService : ITimeouts
{
    // Static so tests in the same process can release a probe and read what its handler saw.
    private static readonly ConcurrentDictionary<string, TaskCompletionSource<string>> Signals = new();
    private static readonly ConcurrentDictionary<string, bool> Cancelled = new();
    private static readonly ConcurrentDictionary<string, bool> Waits = new();

    /// <summary>Lets the handler waiting on <paramref name="probe"/> (now or later) finish with <paramref name="value"/>.</summary>
    public static void Release(string probe, string value = "released") => Signal(probe).TrySetResult(value);

    /// <summary>True once the handler of <paramref name="probe"/> saw its call cancelled (a deadline sends Cancel).</summary>
    public static bool WasCancelled(string probe) => Cancelled.ContainsKey(probe);

    /// <summary>True once the handler of <paramref name="probe"/> started waiting for its signal.</summary>
    public static bool StartedWaiting(string probe) => Waits.ContainsKey(probe);

    private static TaskCompletionSource<string> Signal(string probe) =>
        Signals.GetOrAdd(probe, _ => new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously));

    private static async Task<string> WaitAsync(string probe, CancellationToken cancellationToken)
    {
        Waits[probe] = true;
        try
        {
            return await Signal(probe).Task.WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            Cancelled[probe] = true;
            throw;
        }
    }

    public Task<string> DefaultAsync(string probe, CancellationToken cancellationToken = default) => WaitAsync(probe, cancellationToken);

    public Task<string> ShortAsync(string probe, CancellationToken cancellationToken = default) => WaitAsync(probe, cancellationToken);

    public Task<string> LongPollAsync(string probe, CancellationToken cancellationToken = default) => WaitAsync(probe, cancellationToken);

    public IAsyncEnumerable<int> ShortStreamAsync(string probe, CancellationToken cancellationToken = default) => TwoItems(probe, cancellationToken);

    public IAsyncEnumerable<int> QuietStreamAsync(string probe, CancellationToken cancellationToken = default) => TwoItems(probe, cancellationToken);

    private static async IAsyncEnumerable<int> TwoItems(string probe, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        yield return 0;
        await WaitAsync(probe, cancellationToken);
        yield return 1;
    }
}
