namespace IpcContracts;

/// <summary>
/// Ambient information about the inbound call being handled, for handlers that need the calling
/// connection (for example to call back into the client: <c>IpcCallContext.Connection!.Proxy&lt;ICallback&gt;()</c>).
/// </summary>
public static class IpcCallContext
{
    private static readonly AsyncLocal<IpcConnection?> s_current = new();
    private static readonly AsyncLocal<IpcConnection?> s_eventLoop = new();

    /// <summary>The connection the current request or event arrived on; null outside a handler.</summary>
    public static IpcConnection? Connection => s_current.Value ?? s_eventLoop.Value;

    internal static IpcConnection? Enter(IpcConnection connection)
    {
        var previous = s_current.Value;
        s_current.Value = connection;
        return previous;
    }

    internal static void Exit(IpcConnection? previous) => s_current.Value = previous;

    internal static void EnterEventLoop(IpcConnection connection) => s_eventLoop.Value = connection;

    internal static bool IsEventLoop(IpcConnection connection) => s_eventLoop.Value == connection;
}
