using IpcContracts.TestContracts;

namespace IpcContracts.Tests.Support;

/// <summary>An ITicks listener that records what arrives and signals after the expected count.</summary>
internal sealed class TickCollector(int expected) : ITicks
{
    private readonly Lock _lock = new();
    public List<int> Sequences { get; } = [];
    public List<string> Log { get; } = [];
    public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    public int ThrowOnSequence { get; init; } = -1;

    /// <summary>Drops what was recorded (for memory measurements).</summary>
    public void Forget()
    {
        lock (_lock)
        {
            Sequences.Clear();
            Sequences.TrimExcess();
            Log.Clear();
            Log.TrimExcess();
        }
    }

    public int Count
    {
        get { lock (_lock) return Sequences.Count; }
    }

    public void Tick(Tick tick)
    {
        lock (_lock)
        {
            Sequences.Add(tick.Sequence);
            Log.Add($"tick {tick.Sequence}");
            if (Log.Count == expected) Done.TrySetResult();
        }
        if (tick.Sequence == ThrowOnSequence) throw new InvalidOperationException("subscriber failure");
    }

    public Task Reset(string reason)
    {
        lock (_lock)
        {
            Log.Add($"reset {reason}");
            if (Log.Count == expected) Done.TrySetResult();
        }
        return Task.CompletedTask;
    }
}

internal static class ContractIds
{
    public static uint Ticks => IpcContracts.Runtime.ContractRegistry.Get<ITicks>().Id;
}
