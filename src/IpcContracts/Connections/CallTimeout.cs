namespace IpcContracts.Connections;

/// <summary>
/// The deadline one outbound call runs under, and which setting gave it (named in the <see cref="TimeoutException"/>,
/// so a user sees which knob to turn). Precedence, highest first: the caller's <see cref="IpcCall.WithTimeout"/> scope,
/// the method's <c>[ContractMethod(TimeoutMilliseconds = ...)]</c>, the connection's
/// <see cref="IpcOptions.DefaultCallTimeout"/>; the caller's token applies on top of whichever wins. The most specific
/// setting wins, longer or shorter: a scope is the caller saying "this call", and a method's value is the contract's
/// author saying "this method" (a long poll needs to be longer than the default, a health check shorter).
/// </summary>
internal readonly record struct CallTimeout(TimeSpan Value, string Source)
{
    public const string ScopeSource = "IpcCall.WithTimeout";
    public const string MethodSource = "[ContractMethod(TimeoutMilliseconds)] of the method";
    public const string OptionsSource = "IpcOptions.DefaultCallTimeout";

    /// <summary>No deadline, for a stream's call as a whole (its deadline is per wait, see StreamCall).</summary>
    public static readonly CallTimeout None = new(Timeout.InfiniteTimeSpan, "none");

    /// <summary>The deadline of a call starting now, here: read once, so a scope disposed later does not change it.</summary>
    public static CallTimeout Resolve(TimeSpan? methodTimeout, IpcOptions options) =>
        IpcCall.CurrentTimeout is { } scoped ? new CallTimeout(scoped, ScopeSource)
        : methodTimeout is { } method ? new CallTimeout(method, MethodSource)
        : new CallTimeout(options.DefaultCallTimeout, OptionsSource);

    public bool IsInfinite => Value == Timeout.InfiniteTimeSpan;

    /// <summary>Environment.TickCount64 at which a wait starting now ends.</summary>
    public long DeadlineFromNow() => Environment.TickCount64 + (long)Value.TotalMilliseconds;

    /// <summary>"0.2 s (IpcCall.WithTimeout)".</summary>
    public override string ToString() => $"{Value.TotalSeconds:0.###} s ({Source})";
}
