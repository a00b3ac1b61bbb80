using IpcContracts;

namespace IpcContracts.TestContracts;

/// <summary>
/// ValueTask methods only: the proxy's pooled call path (a call object reused once its caller has read the result), its
/// outcomes and its reuse, and the allocation budget of a round trip (handled by <see cref="ValueCalls"/>).
/// </summary>
[RequestContract("test.values")]
public interface IValueCalls
{
    /// <summary>The text back; its only payload objects are the two strings (the argument and the result).</summary>
    ValueTask<string> EchoAsync(string text);

    /// <summary>Waits, then returns the value: cancellation and timeouts of a pooled call.</summary>
    ValueTask<int> DelayAsync(int value, int milliseconds, CancellationToken cancellationToken);

    /// <summary>Throws InvalidOperationException(message), or completes when message is null.</summary>
    ValueTask FailAsync(string? message);

    /// <summary>The IpcCallContext.Connection the handler sees before and after an await (its hash codes).</summary>
    ValueTask<string> ContextAsync();

    /// <summary>Sets an AsyncLocal of its own synchronously and returns what it held before: null unless a previous call leaked it.</summary>
    ValueTask<string?> SwapMarkAsync(string mark);
}

/// <summary>An event whose only payload object is its string.</summary>
[EventContract("test.notes")]
public interface INotes
{
    void Note(string text);
}
