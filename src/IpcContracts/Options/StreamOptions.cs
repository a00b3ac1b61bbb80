namespace IpcContracts;

/// <summary>Flow control of stream results (<see cref="IpcOptions.Streams"/>; docs/protocol.md, "Streams").</summary>
public sealed class StreamOptions
{
    /// <summary>
    /// Bytes of stream items a consumer lets a producer send ahead of what it has read (the credit window), per stream.
    /// A slow consumer holds at most this much (plus one item) of each stream in memory, and the producer's sends wait
    /// for credit instead of growing a queue; a fast consumer is granted more when it has read half the window, so it
    /// never waits for a round trip. Set on the consuming side. Default 1 MiB; 4 KiB to 1 GiB.
    /// </summary>
    public int CreditWindow { get; set; } = 1 << 20;

    internal void Validate()
    {
        if (CreditWindow is < 4096 or > 1 << 30)
            throw new IpcConfigurationException($"IpcOptions.Streams.CreditWindow must be from 4 KiB to 1 GiB (was {CreditWindow}).");
    }
}
