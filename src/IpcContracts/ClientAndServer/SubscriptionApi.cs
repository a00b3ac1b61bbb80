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
}
