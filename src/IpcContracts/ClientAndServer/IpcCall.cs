namespace IpcContracts;

/// <summary>
/// Settings for the outbound calls a block of code makes, for what a proxy's signature cannot carry: a proxy has the
/// contract's own method signatures, so a per-call deadline cannot be an extra parameter.
/// </summary>
/// <example>
/// <code>
/// using (IpcCall.WithTimeout(TimeSpan.FromMinutes(5)))
///     await proxy.WaitForOrderAsync(id);   // this call: 5 min, whatever the method or the connection says
/// await proxy.GetStockAsync("A-1");         // after the block: the method's or the connection's deadline again
/// </code>
/// </example>
public static class IpcCall
{
    // AsyncLocal: the scope follows the code that opened it across awaits (and into work it starts), like an Activity,
    // and is invisible to other callers on the same connection. Calls read it once, when they start.
    private static readonly AsyncLocal<TimeoutScope?> s_timeout = new();

    /// <summary>
    /// Sets the deadline of every outbound call started inside the returned scope, until it is disposed, on any
    /// connection: typed and untyped calls, aggregator requests, pings, and the enumerations of stream results started
    /// in it (where, as for every stream, it bounds each wait for the next item). It wins over the method's
    /// <c>[ContractMethod(TimeoutMilliseconds = ...)]</c> and over <see cref="IpcOptions.DefaultCallTimeout"/>, longer or
    /// shorter; the caller's <see cref="CancellationToken"/> applies in addition. When it passes, the call fails with
    /// <see cref="TimeoutException"/> (like the other deadlines; a cancelled token gives
    /// <see cref="OperationCanceledException"/>) and the handler is cancelled.
    /// </summary>
    /// <remarks>
    /// A call takes the deadline in force when it starts and keeps it, so disposing the scope does not change calls
    /// already running. Scopes nest (the innermost wins); a disposed scope never applies again, even to code that
    /// captured it (a task started inside it). Work started inside the scope (<c>Task.Run</c>, a timer) inherits it,
    /// as it inherits any async-local value; open the scope around the calls it is meant for.
    /// </remarks>
    /// <param name="timeout">Positive, or <see cref="Timeout.InfiniteTimeSpan"/> for no deadline.</param>
    /// <returns>The scope; dispose it to end it (a <c>using</c> block or declaration).</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="timeout"/> is zero or negative and not infinite.</exception>
    public static IDisposable WithTimeout(TimeSpan timeout)
    {
        if (timeout <= TimeSpan.Zero && timeout != Timeout.InfiniteTimeSpan)
            throw new ArgumentOutOfRangeException(nameof(timeout), timeout, "A call timeout must be positive or Timeout.InfiniteTimeSpan.");
        var scope = new TimeoutScope(timeout, s_timeout.Value);
        s_timeout.Value = scope;
        return scope;
    }

    /// <summary>The deadline of the innermost scope still open here, or null.</summary>
    internal static TimeSpan? CurrentTimeout
    {
        get
        {
            for (var scope = s_timeout.Value; scope is not null; scope = scope.Outer)
            {
                if (!scope.IsDisposed) return scope.Timeout;
            }
            return null;
        }
    }

    private sealed class TimeoutScope(TimeSpan timeout, TimeoutScope? outer) : IDisposable
    {
        private int _disposed;

        public TimeSpan Timeout { get; } = timeout;

        public TimeoutScope? Outer { get; } = outer;

        public bool IsDisposed => Volatile.Read(ref _disposed) != 0;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
            // Back to the enclosing scope where this one is current. Elsewhere (disposed out of order, or from a flow
            // that never saw it) the flag alone keeps it from applying: CurrentTimeout skips disposed scopes.
            if (s_timeout.Value == this) s_timeout.Value = Outer;
        }
    }
}
