namespace IpcContracts.Transports;

/// <summary>
/// A transport connection whose reads can be told how many bytes are worth waking for: the receive low-water mark of a
/// TCP socket on Linux (<c>SO_RCVLOWAT</c>). While the reader holds part of a large frame, only the rest of that frame can
/// come next, so the core sets the mark to what is missing (capped) and the socket wakes the reader once per that many
/// bytes instead of once per segment loopback TCP hands over (docs/benchmarks.md, "Stream bytes: chunk size, copies and
/// the credit window").
/// </summary>
/// <remarks>
/// The mark never stops a read forever: it is at most what the peer must send anyway to finish the frame it started, the
/// kernel grows the receive buffer to hold it, and an end of stream, a reset or disposal wakes the read at once. Bytes held
/// below the mark are not a silent peer: the core's timer asks <see cref="BytesWaiting"/> before it calls a peer stalled
/// mid-frame or silent.
/// </remarks>
internal interface IReceiveLowWater
{
    /// <summary>False where the mark does nothing (not TCP, not Linux): the core then never calls the members below.</summary>
    bool LowWaterSupported { get; }

    /// <summary>Sets the mark: a read waits for <paramref name="bytes"/> (at least 1) before it wakes. Never throws.</summary>
    void SetLowWater(int bytes);

    /// <summary>Bytes the kernel holds for this connection that no read has taken yet (0 when unknown). Never throws.</summary>
    int BytesWaiting { get; }
}
