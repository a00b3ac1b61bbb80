namespace IpcContracts;

/// <summary>The peer's handler threw. Carries the remote exception's type name, message and stack text.</summary>
public sealed class RemoteInvocationException : IpcException
{
    /// <summary>Creates the exception.</summary>
    public RemoteInvocationException(string remoteType, string remoteMessage, string? remoteStackTrace)
        : base($"The remote handler threw {remoteType}: {remoteMessage}")
    {
        RemoteType = remoteType;
        RemoteMessage = remoteMessage;
        RemoteStackTrace = remoteStackTrace;
    }

    /// <summary>Full name of the exception type thrown in the other process.</summary>
    public string RemoteType { get; }

    /// <summary>Message of the remote exception.</summary>
    public string RemoteMessage { get; }

    /// <summary>Stack trace text of the remote exception, if the peer sent one.</summary>
    public string? RemoteStackTrace { get; }

    /// <inheritdoc />
    public override string ToString() =>
        base.ToString() + (RemoteStackTrace is null ? "" : Environment.NewLine + "--- Remote stack trace ---" + Environment.NewLine + RemoteStackTrace);
}
