namespace IpcContracts;

/// <summary>Flow control of stream results (<see cref="IpcOptions.Streams"/>; docs/protocol.md, "Streams").</summary>
public sealed class StreamOptions
{
    /// <summary>
    /// Bytes of stream items a consumer lets a producer send ahead of what it has read (the credit window), per stream.
    /// A slow consumer holds at most this much (plus one item) of each stream in memory, and the producer's sends wait
    /// for credit instead of growing a queue; a fast consumer is granted more each time it has read a quarter of the window, so it
    /// never waits for a round trip. Set on the consuming side. Default 1 MiB; 4 KiB to 1 GiB. Streams of bytes have
    /// their own window, <see cref="ByteCreditWindow"/>.
    /// </summary>
    public int CreditWindow { get; set; } = 1 << 20;

    /// <summary>
    /// The credit window of a stream of bytes: a <c>Stream</c> or <c>PipeReader</c> argument or result, or any stream of
    /// <c>ReadOnlyMemory&lt;byte&gt;</c> items. Otherwise as <see cref="CreditWindow"/>. Default 4 MiB; 4 KiB to 1 GiB.
    /// </summary>
    /// <remarks>
    /// Larger than the item window because bytes move at memory speed: a grant reaches the producer after a wake-up on
    /// each side (the consumer's read, then the producer's read loop and its own resumption), and half of 1 MiB was gone
    /// before that, so a 24 MiB <c>Stream</c> stopped for credit at nearly every grant; with 4 MiB it has 3 MiB in hand
    /// while a grant travels (docs/benchmarks.md, "Stream bytes: chunk size, copies and the credit window"). Items keep
    /// 1 MiB: a larger item window would let a lagging consumer queue four times as many parsed objects (not measured).
    /// On a machine whose cores are busy with other work, a grant's two wake-ups can each wait for a time slice: there
    /// 8 MiB moved a 24 MiB <c>Stream</c> over pipe:// at 1.42x-2.18x the raw socket stream against 1.61x-2.34x with
    /// 4 MiB, and on a quiet machine at 1.43x-1.65x against 1.20x-1.35x (docs/benchmarks.md, session 24): raise it on the
    /// consuming side for large transfers on busy machines, at the cost of that much more memory per slow stream.
    /// </remarks>
    public int ByteCreditWindow { get; set; } = 4 << 20;

    /// <summary>The window of a stream whose items are <typeparamref name="T"/>.</summary>
    internal int WindowFor<T>() => typeof(T) == typeof(ReadOnlyMemory<byte>) ? ByteCreditWindow : CreditWindow;

    internal void Validate()
    {
        if (CreditWindow is < 4096 or > 1 << 30)
            throw new IpcConfigurationException($"IpcOptions.Streams.CreditWindow must be from 4 KiB to 1 GiB (was {CreditWindow}).");
        if (ByteCreditWindow is < 4096 or > 1 << 30)
            throw new IpcConfigurationException($"IpcOptions.Streams.ByteCreditWindow must be from 4 KiB to 1 GiB (was {ByteCreditWindow}).");
    }
}
