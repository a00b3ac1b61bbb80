using System.Diagnostics.CodeAnalysis;
using IpcContracts.Runtime;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace IpcContracts.Hosting;

/// <summary>Handlers resolved from a new DI scope per call, through the runtime's per-call scope hook.</summary>
internal static class ScopedHandlers
{
    public static void Register<TContract>(IpcEndpointBuilder endpoint, IServiceProvider services, Func<IServiceProvider, TContract> factory)
        where TContract : class
    {
        var scopes = services.GetRequiredService<IServiceScopeFactory>();
        endpoint.HandleScoped<TContract, AsyncServiceScope>(_ => scopes.CreateAsyncScope(), scope => factory(scope.ServiceProvider));
    }
}
