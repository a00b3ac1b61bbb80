using System.Text.Json.Serialization.Metadata;
using IpcContracts.Protocol;

namespace IpcContracts.Connections;

/// <summary>
/// Sends the items of an <c>IAsyncEnumerable&lt;T&gt;</c> argument or result as StreamItem frames under the receiver's
/// credit (docs/protocol.md 7.9): the one place for the send rule both directions share, as
/// <see cref="ByteChunkFrames"/> is for bytes.
/// </summary>
internal static class StreamItemFrames
{
    /// <summary>
    /// Enumerates <paramref name="items"/> to its end with <paramref name="token"/> (the enumerator gets it and is disposed
    /// however the loop ends, as <c>await foreach</c> over <c>WithCancellation</c> does, so a cancelled iterator runs its
    /// finally blocks) and sends each item as the credit allows. False when the connection stopped taking frames (it is
    /// closing: the other side gets its fault, not an end). Throws what the enumeration or the wait throws.
    /// </summary>
    /// <remarks>
    /// An item the enumerator had ready at once is part of a burst, and the next ones will likely be ready too: it is
    /// queued for a write on another thread (<see cref="IpcConnection.TrySendSoon"/>) rather than written here, so the
    /// items queued meanwhile share that write (one flush, and on a socket one system call, per batch instead of per
    /// item). An item the enumerator had to wait for is written at once, as any frame.
    /// </remarks>
    public static async ValueTask<bool> SendAsync<T>(IAsyncEnumerable<T> items, JsonTypeInfo<T> typeInfo, ProducerCredit credit,
        FrameHeaderTemplate template, IpcConnection connection, CancellationToken token)
    {
        var enumerator = items.GetAsyncEnumerator(token);
        try
        {
            while (true)
            {
                var next = enumerator.MoveNextAsync();
                var burst = next.IsCompletedSuccessfully;
                if (!await next.ConfigureAwait(false)) return true;
                token.ThrowIfCancellationRequested(); // an enumerator that ignores its token still stops here
                await credit.WaitAsync(token).ConfigureAwait(false);
                var frame = FrameBuilder.Item(template, enumerator.Current, typeInfo, connection.Options.MaxPayloadLength);
                credit.Spend(frame);
                if (!(burst ? connection.TrySendSoon(frame) : connection.TrySend(frame))) return false;
            }
        }
        finally
        {
            await enumerator.DisposeAsync().ConfigureAwait(false);
        }
    }
}
