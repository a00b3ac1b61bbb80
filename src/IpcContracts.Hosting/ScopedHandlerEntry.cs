using IpcContracts.Connections;
using IpcContracts.Runtime;
using Microsoft.Extensions.DependencyInjection;

namespace IpcContracts.Hosting;

/// <summary>
/// A request handler resolved from a fresh DI scope for every call; the scope is disposed when the call's
/// dispatch completes (after the reply), so scoped dependencies live exactly as long as one call.
/// </summary>
internal sealed class ScopedHandlerEntry<TContract>(ContractDescriptor<TContract> contract, IServiceScopeFactory scopes,
    Func<IServiceProvider, TContract> resolve) : RequestHandlerEntry where TContract : class
{
    public override ContractDescriptor Contract => contract;

    public override ValueTask DispatchAsync(InboundCall call)
    {
        var scope = scopes.CreateAsyncScope();
        ValueTask pending;
        try
        {
            pending = contract.DispatchAsync(resolve(scope.ServiceProvider), call);
        }
        catch
        {
            ObserveDispose(scope.DisposeAsync());
            throw;
        }
        if (!pending.IsCompletedSuccessfully) return AwaitThenDisposeAsync(pending, scope);
        pending.GetAwaiter().GetResult();
        return scope.DisposeAsync();
    }

    private static async ValueTask AwaitThenDisposeAsync(ValueTask pending, AsyncServiceScope scope)
    {
        try
        {
            await pending.ConfigureAwait(false);
        }
        finally
        {
            await scope.DisposeAsync().ConfigureAwait(false);
        }
    }

    private static void ObserveDispose(ValueTask disposal)
    {
        if (!disposal.IsCompleted) _ = disposal.AsTask();
        else if (disposal.IsFaulted) _ = disposal.AsTask().Exception;
    }
}
