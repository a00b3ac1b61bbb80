using Microsoft.Extensions.DependencyInjection;

namespace IpcContracts.Hosting;

/// <summary>Handlers resolved from a new DI scope per call, through the runtime's per-call scope hook.</summary>
internal static class ScopedHandlers
{
    public static void Register<TContract>(IpcEndpointBuilder endpoint, IServiceProvider services, Func<IServiceProvider, IpcConnection, TContract> factory)
        where TContract : class
    {
        var scopes = services.GetRequiredService<IServiceScopeFactory>();
        endpoint.HandleScoped<TContract, CallScope>(connection => new CallScope(scopes.CreateAsyncScope(), connection),
            scope => factory(scope.Services.ServiceProvider, scope.Connection));
    }

    /// <summary>One call's DI scope, and the connection the call came on (for factories that take it).</summary>
    private readonly record struct CallScope(AsyncServiceScope Services, IpcConnection Connection) : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => Services.DisposeAsync();
    }
}
