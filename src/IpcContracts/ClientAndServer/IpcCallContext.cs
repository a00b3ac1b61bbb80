namespace IpcContracts;

/// <summary>
/// Ambient information about the inbound call being handled: the connection it arrived on.
/// </summary>
/// <remarks>
/// A handler that calls back into its client should be given the connection instead, which cannot be null:
/// <c>Handle&lt;TContract&gt;(connection =&gt; new Handler(connection))</c> (<see cref="IpcEndpointBuilder.Handle{TContract}(Func{IpcConnection, TContract})"/>;
/// hosted: <c>Handle&lt;TContract&gt;((services, connection) =&gt; ...)</c>). This ambient remains for code deeper down
/// that the connection cannot be passed to.
/// </remarks>
public static class IpcCallContext
{
    private static readonly AsyncLocal<IpcConnection?> s_current = new();
    private static readonly AsyncLocal<IpcConnection?> s_eventLoop = new();
    private static readonly AsyncLocal<ulong> s_inboundCall = new();

    /// <summary>The connection the current request or event arrived on; null outside a handler.</summary>
    public static IpcConnection? Connection => s_current.Value ?? s_eventLoop.Value;

    /// <summary>
    /// Makes <paramref name="connection"/> current for a handler's synchronous part (its asynchronous part inherits it) and,
    /// when <paramref name="correlationId"/> is not 0, marks that inbound Request for calls the handler makes
    /// (<see cref="InboundCallOn"/>; only transports with call origins need it). Dispose the scope when the synchronous part
    /// returns.
    /// </summary>
    /// <remarks>
    /// Setting an <see cref="AsyncLocal{T}"/> allocates a new <see cref="ExecutionContext"/> (and its value map, and a box
    /// for a ulong) each time, several hundred bytes per call. The context "this thread's context plus this connection" is
    /// the same for every frame a thread handles, so it is built once and kept in <paramref name="cache"/>: entering
    /// switches to it and leaving switches back, neither allocating (<see cref="ExecutionContext.Restore"/>). Leaving
    /// restores the thread's context as it was, as an async method's builder does after its synchronous part, so nothing
    /// a handler's synchronous part put into the context leaks into the next frame. The correlation ID differs per call:
    /// it is set on top of the cached context (one new context, value map and box per call, where setting both values
    /// and putting both back cost four of each), and leaving drops it with the rest.
    /// </remarks>
    internal static HandlerScope Enter(IpcConnection connection, ref ContextCache? cache, ulong correlationId = 0)
    {
        var outer = ExecutionContext.Capture(); // no allocation: the thread's current context, or null when flow is suppressed
        if (outer is null)
        {
            var previous = s_current.Value;
            s_current.Value = connection;
            var previousCall = 0UL;
            if (correlationId != 0)
            {
                previousCall = s_inboundCall.Value;
                s_inboundCall.Value = correlationId;
            }
            return new HandlerScope(null, previous, previousCall, correlationId != 0);
        }
        var cached = Volatile.Read(ref cache);
        if (cached is not null && ReferenceEquals(cached.Outer, outer) && ReferenceEquals(cached.Connection, connection))
        {
            ExecutionContext.Restore(cached.Inner);
        }
        else
        {
            s_current.Value = connection;
            Volatile.Write(ref cache, new ContextCache(connection, outer, ExecutionContext.Capture()!));
        }
        if (correlationId != 0) s_inboundCall.Value = correlationId;
        return new HandlerScope(outer, null, 0, false);
    }

    /// <summary>The context a thread switches to for a connection's handlers, kept per connection (see <see cref="Enter"/>).</summary>
    internal sealed class ContextCache(IpcConnection connection, ExecutionContext outer, ExecutionContext inner)
    {
        public IpcConnection Connection { get; } = connection;
        public ExecutionContext Outer { get; } = outer;
        public ExecutionContext Inner { get; } = inner;
    }

    /// <summary>Leaves what <see cref="Enter"/> entered, on the same thread.</summary>
    internal readonly struct HandlerScope(ExecutionContext? outer, IpcConnection? previous, ulong previousCall, bool call) : IDisposable
    {
        public void Dispose()
        {
            if (outer is not null)
            {
                ExecutionContext.Restore(outer);
                return;
            }
            if (call) s_inboundCall.Value = previousCall;
            s_current.Value = previous;
        }
    }

    /// <summary>The correlation ID of the inbound Request of <paramref name="connection"/> being handled here, or 0.</summary>
    internal static ulong InboundCallOn(IpcConnection connection) => s_current.Value == connection ? s_inboundCall.Value : 0;

    internal static void EnterEventLoop(IpcConnection connection) => s_eventLoop.Value = connection;

    internal static bool IsEventLoop(IpcConnection connection) => s_eventLoop.Value == connection;
}
