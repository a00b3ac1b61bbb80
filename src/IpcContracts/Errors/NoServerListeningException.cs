namespace IpcContracts;

/// <summary>
/// A connect found no server at the endpoint: nothing is listening there (yet). By default a connect fails with this at
/// once; with <see cref="IpcOptions.WaitForServer"/> it waits up to <see cref="IpcOptions.ConnectTimeout"/> for a
/// server to start first. The message names <see cref="Endpoint"/> as the caller wrote it, never a transport's
/// internal endpoint (the control socket of <c>shm://</c>, for instance).
/// </summary>
public sealed class NoServerListeningException : ChannelFaultedException
{
    /// <summary>Creates the exception for <paramref name="endpoint"/>; <paramref name="waited"/> is how long the connect waited, if it did.</summary>
    public NoServerListeningException(string endpoint, TimeSpan? waited = null, Exception? inner = null)
        : base(waited is { } w
            ? $"No server is listening on {endpoint}; waited {w.TotalSeconds:0.###} s for one to start (IpcOptions.WaitForServer)."
            : $"No server is listening on {endpoint}. Start the server first, or set IpcOptions.WaitForServer to wait for it.", inner)
    {
        Endpoint = endpoint;
    }

    /// <summary>The endpoint the caller asked for, e.g. <c>shm://inventory</c>.</summary>
    public string Endpoint { get; }
}
