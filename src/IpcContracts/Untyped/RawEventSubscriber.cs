using System.Text;
using IpcContracts.Connections;
using IpcContracts.Runtime;

namespace IpcContracts.Untyped;

/// <summary>Delivers one contract's events as JSON text (<see cref="IpcClient.SubscribeRaw"/>); held strongly, like a default subscription.</summary>
internal sealed class RawEventSubscriber(string contractAlias, uint contractId, Action<RawEvent> handler) : EventSubscriber
{
    public override bool IsAlive => true;

    public override ValueTask DeliverAsync(InboundCall call)
    {
        // The payload is valid only until the first await; the handler is synchronous, so it is copied here, once.
        var json = Encoding.UTF8.GetString(call.Payload);
        handler(new RawEvent(contractAlias, PeerContracts.MethodName(call.Connection, contractId, call.MethodId), json, call.Connection));
        return default;
    }
}
