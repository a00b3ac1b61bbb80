namespace IpcContracts;

/// <summary>How an <see cref="IpcClient"/> reconnects after its connection drops (<see cref="IpcOptions.Reconnect"/>).</summary>
public sealed class ReconnectOptions
{
    /// <summary>Clients reconnect by themselves after the connection drops (backoff with jitter). Default on.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>First delay before a reconnect attempt; it doubles per failed attempt. Default 50 ms.</summary>
    public TimeSpan MinDelay { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>Longest delay between reconnect attempts. Default 5 s.</summary>
    public TimeSpan MaxDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Runs after each automatic reconnect, before <see cref="IpcClient.Reconnected"/> is raised: the place to
    /// re-initialise server-side state the old connection held (seed 002's initialisation routine).
    /// Subscriptions are restored without it.
    /// </summary>
    public Func<IpcClient, Task>? OnReconnected { get; set; }

    internal void Validate()
    {
        if (MinDelay <= TimeSpan.Zero || MaxDelay < MinDelay)
            throw new IpcConfigurationException("IpcOptions.Reconnect.MinDelay must be positive and not above Reconnect.MaxDelay.");
    }
}
