using IpcContracts;

namespace IpcContracts.TestContracts;

/// <summary>The IValueCalls and INotes implementation; counts the notes it receives.</summary>
public sealed class ValueCalls : IValueCalls, INotes
{
    private long _notes;

    public long Notes => Volatile.Read(ref _notes);

    public ValueTask<string> EchoAsync(string text) => new(text);

    public async ValueTask<int> DelayAsync(int value, int milliseconds, CancellationToken cancellationToken)
    {
        await Task.Delay(milliseconds, cancellationToken);
        return value;
    }

    public ValueTask FailAsync(string? message) =>
        message is null ? default : ValueTask.FromException(new InvalidOperationException(message));

    public async ValueTask<string> ContextAsync()
    {
        var before = IpcCallContext.Connection;
        await Task.Yield();
        var after = IpcCallContext.Connection;
        return $"{before?.GetHashCode()}/{after?.GetHashCode()}";
    }

    private static readonly AsyncLocal<string?> s_mark = new();

    public ValueTask<string?> SwapMarkAsync(string mark)
    {
        var previous = s_mark.Value;
        s_mark.Value = mark;
        return new(previous);
    }

    public void Note(string text) => Interlocked.Increment(ref _notes);
}
