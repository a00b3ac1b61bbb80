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

    internal static IpcConnection? Enter(IpcConnection connection)
    {
        var previous = s_current.Value;
        s_current.Value = connection;
        return previous;
    }

    internal static void Exit(IpcConnection? previous) => s_current.Value = previous;

    /// <summary>Marks the inbound Request being handled (its correlation ID), for calls its handler makes (<see cref="InboundCallOn"/>).</summary>
    internal static ulong EnterCall(ulong correlationId)
    {
        var previous = s_inboundCall.Value;
        s_inboundCall.Value = correlationId;
        return previous;
    }

    internal static void ExitCall(ulong previous) => s_inboundCall.Value = previous;

    /// <summary>The correlation ID of the inbound Request of <paramref name="connection"/> being handled here, or 0.</summary>
    internal static ulong InboundCallOn(IpcConnection connection) => s_current.Value == connection ? s_inboundCall.Value : 0;

    internal static void EnterEventLoop(IpcConnection connection) => s_eventLoop.Value = connection;

    internal static bool IsEventLoop(IpcConnection connection) => s_eventLoop.Value == connection;
}
