using IpcContracts.Connections;
using IpcContracts.Runtime;

namespace IpcContracts;

/// <summary>Shared subscribe logic of client and server.</summary>
internal static class SubscriptionApi
{
    public static IDisposable Subscribe<TContract>(LocalHandlers handlers, TContract listener, bool weak) where TContract : class
    {
        ArgumentNullException.ThrowIfNull(listener);
        var contract = ContractRegistry.Get<TContract>(ContractKind.Event);
        return handlers.AddSubscriber(new SubscriptionKey(false, contract.Id), new ContractSubscriber<TContract>(contract, listener, weak));
    }

    /// <summary>
    /// Completes when every connection in <paramref name="connections"/> has answered a Ping sent after the subscription was
    /// registered, which proves the peer has it: the Subscribe frame (or the Hello carrying the key, or the earlier Subscribe
    /// of a key already subscribed) was queued before the Ping on the same FIFO send queue, and the peer handles frames in
    /// order, recording the Subscribe before answering the Ping (docs/protocol.md 7.4, 7.6). On NATS the broker connection
    /// answers a Ping only after a NATS PING/PONG that follows its subscribe, so a Pong means the broker has it.
    /// On failure the subscription is removed (the caller never got the token) and the error is thrown.
    /// With ignoreEnded (a server): a client whose connection ends meanwhile is no peer any more, and one that reconnects
    /// gets the key in the server's Hello, so its <see cref="ChannelFaultedException"/> does not fail the subscription.
    /// </summary>
    public static async Task<IDisposable> ConfirmAsync(IDisposable token, IReadOnlyCollection<IpcConnection> connections, bool ignoreEnded,
        CancellationToken cancellationToken)
    {
        try
        {
            await Task.WhenAll(connections.Select(c => PingAsync(c, ignoreEnded, cancellationToken))).ConfigureAwait(false);
            return token;
        }
        catch
        {
            token.Dispose();
            throw;
        }
    }

    private static async Task PingAsync(IpcConnection connection, bool ignoreEnded, CancellationToken cancellationToken)
    {
        try
        {
            await connection.PingAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelFaultedException) when (ignoreEnded)
        {
        }
        catch (ChannelFaultedException e)
        {
            throw new ChannelFaultedException(
                $"The subscription could not be confirmed: the connection to {connection.PeerDescription} is not open ({e.Message}). " +
                "It was removed; retry once the client has reconnected (IpcClient.Reconnected), or use Subscribe, which keeps the " +
                "subscription and sends it again on every reconnect.", e);
        }
    }
}
