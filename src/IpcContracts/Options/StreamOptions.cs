namespace IpcContracts;

/// <summary>Flow control of stream results (<see cref="IpcOptions.Streams"/>; docs/protocol.md, "Streams").</summary>
public sealed class StreamOptions
{
    /// <summary>
    /// Bytes of stream items a consumer lets a producer send ahead of what it has read (the credit window), per stream.
    /// A slow consumer holds at most this much (plus one item) of each stream in memory, and the producer's sends wait
    /// for credit instead of growing a queue; a fast consumer is granted more when it has read half the window, so it
    /// never waits for a round trip. Set on the consuming side. Default 4 MiB; 4 KiB to 1 GiB.
    /// </summary>
    /// <remarks>
    /// 4 MiB rather than 1: a grant reaches the producer after a wake-up on each side (the consumer's read, the
    /// producer's read loop and then its own resumption), and at memory speed half of 1 MiB was gone before that, so a
    /// 24 MiB <c>Stream</c> stopped for credit about 48 times; with 4 MiB it has 2 MiB in hand while a grant travels
    /// (docs/benchmarks.md, "Stream bytes: chunk size, copies and the credit window").
    /// </remarks>
    public int CreditWindow { get; set; } = 4 << 20;

    internal void Validate()
    {
        if (CreditWindow is < 4096 or > 1 << 30)
            throw new IpcConfigurationException($"IpcOptions.Streams.CreditWindow must be from 4 KiB to 1 GiB (was {CreditWindow}).");
    }
}
