using IpcContracts.TestContracts;

namespace IpcContracts.Windows.Tests;

/// <summary>An ITicks listener that records the sequence numbers that arrive and signals after the expected count.</summary>
internal sealed class TickCollector(int expected) : ITicks
{
    private readonly Lock _lock = new();
    private readonly List<int> _sequences = [];

    public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public int[] Sequences
    {
        get { lock (_lock) return [.. _sequences]; }
    }

    public void Tick(Tick tick)
    {
        lock (_lock)
        {
            _sequences.Add(tick.Sequence);
            if (_sequences.Count == expected) Done.TrySetResult();
        }
    }

    public Task Reset(string reason) => Task.CompletedTask;
}
