using System.Collections.Concurrent;

namespace IpcContracts.TestContracts;

/// <summary>A caller's side of stream and progress calls, shared by the test programs on both sides of a process boundary.</summary>
public static class TestSources
{
    /// <summary>1, 2, ... <paramref name="count"/>, yielding the thread every 256 items (an argument stream that is not all synchronous).</summary>
    public static async IAsyncEnumerable<int> Count(int count)
    {
        for (var i = 1; i <= count; i++)
        {
            if (i % 256 == 0) await Task.Yield();
            yield return i;
        }
    }
}

/// <summary>An <see cref="IProgress{T}"/> that keeps every report it is given, in the order given.</summary>
public sealed class CollectingProgress<T> : IProgress<T>
{
    public ConcurrentQueue<T> Reports { get; } = new();

    public void Report(T value) => Reports.Enqueue(value);
}
