namespace IpcContracts.Transports;

/// <summary>
/// A transport connection whose byte stream can also be read straight into memory the core owns, bypassing the buffers
/// of its <see cref="System.IO.Pipelines.PipeReader"/>. The core uses it for the rest of a large binary frame: the bytes go
/// from the socket or ring into the array the handler (or caller) receives, instead of into pipe segments and then into
/// that array (docs/benchmarks.md, "Fewer copies for large payloads").
/// </summary>
/// <remarks>
/// Called only when the core has consumed everything the connection's <c>Input</c> returned (the pipe holds no
/// unread byte) and no read of the pipe is pending, so the stream's order is kept. Like a pipe read it never waits
/// without bound: it ends with bytes, with 0 at the end of the stream, or with the token (the connection's lifetime).
/// </remarks>
internal interface IDirectReader
{
    /// <summary>Reads at least one byte into <paramref name="destination"/> (fewer than its length is fine); 0 at the end of the stream.</summary>
    ValueTask<int> ReadDirectAsync(Memory<byte> destination, CancellationToken cancellationToken);
}
