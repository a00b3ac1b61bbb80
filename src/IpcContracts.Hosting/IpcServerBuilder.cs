using System.Diagnostics.CodeAnalysis;
using IpcContracts.Runtime;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace IpcContracts.Hosting;

/// <summary>Configures one hosted server: its handlers (resolved from DI, one scope per call), publishers and options.</summary>
public sealed class IpcServerBuilder
{
    internal IpcServerBuilder(IServiceCollection services, string name)
    {
        Services = services;
        Name = name;
    }

    /// <summary>The server's name ("" for the default server).</summary>
    public string Name { get; }

    /// <summary>The service collection.</summary>
    public IServiceCollection Services { get; }

    /// <summary>Sets options (endpoint, limits, drain timeout).</summary>
    public IpcServerBuilder Configure(Action<IpcServerOptions> configure)
    {
        Services.Configure(Name, configure);
        return this;
    }

    /// <summary>
    /// Handles [RequestContract] <typeparamref name="TContract"/> with <typeparamref name="TImplementation"/>, resolved
    /// from a new DI scope for every call (registered as scoped unless already registered). The scope, and every
    /// scoped service the handler used, is disposed when the call completes.
    /// </summary>
    public IpcServerBuilder Handle<TContract, [DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] TImplementation>()
        where TContract : class where TImplementation : class, TContract
    {
        Services.TryAddScoped<TImplementation>();
        return Handle<TContract>(static sp => sp.GetRequiredService<TImplementation>());
    }

    /// <summary>Handles <typeparamref name="TContract"/> with what <paramref name="factory"/> returns from each call's own DI scope.</summary>
    public IpcServerBuilder Handle<TContract>(Func<IServiceProvider, TContract> factory) where TContract : class
    {
        ArgumentNullException.ThrowIfNull(factory);
        ContractRegistry.Get<TContract>(ContractKind.Request); // fails here, at registration, for a non-contract
        return Configure(o => o.Handlers.Add((endpoint, services) => ScopedHandlers.Register(endpoint, services, factory)));
    }

    /// <summary>
    /// Registers <typeparamref name="TEvents"/> ([EventContract]) as a singleton whose calls publish to every client of
    /// this server subscribed to it (serialized once per event). Events published before the server starts are dropped.
    /// </summary>
    public IpcServerBuilder AddPublisher<TEvents>() where TEvents : class
    {
        var contract = ContractRegistry.Get<TEvents>(ContractKind.Event);
        var name = Name;
        Services.TryAddSingleton(sp => contract.CreateProxy(new HostedServerPublisher(sp.GetRequiredService<IpcHostedServers>(), name)));
        return this;
    }
}

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

/// <summary>Configures one hosted client connection: callback handlers and injectable proxies.</summary>
public sealed class IpcClientBuilder
{
    internal IpcClientBuilder(IServiceCollection services, string name)
    {
        Services = services;
        Name = name;
    }

    /// <summary>The client's name ("" for the default client).</summary>
    public string Name { get; }

    /// <summary>The service collection.</summary>
    public IServiceCollection Services { get; }

    /// <summary>Sets options (endpoint, limits, connect on start).</summary>
    public IpcClientBuilder Configure(Action<IpcClientOptions> configure)
    {
        Services.Configure(Name, configure);
        return this;
    }

    /// <summary>Handles calls the server makes back on [RequestContract] <typeparamref name="TContract"/>, one DI scope per call.</summary>
    public IpcClientBuilder Handle<TContract, [DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] TImplementation>()
        where TContract : class where TImplementation : class, TContract
    {
        Services.TryAddScoped<TImplementation>();
        return Handle<TContract>(static sp => sp.GetRequiredService<TImplementation>());
    }

    /// <summary>Handles server callbacks on <typeparamref name="TContract"/> with what <paramref name="factory"/> returns from each call's scope.</summary>
    public IpcClientBuilder Handle<TContract>(Func<IServiceProvider, TContract> factory) where TContract : class
    {
        ArgumentNullException.ThrowIfNull(factory);
        ContractRegistry.Get<TContract>(ContractKind.Request); // fails here, at registration, for a non-contract
        return Configure(o => o.Handlers.Add((endpoint, services) => ScopedHandlers.Register(endpoint, services, factory)));
    }

    /// <summary>
    /// Registers <typeparamref name="TContract"/> ([RequestContract]) as a singleton proxy of this client: it connects
    /// on the first call and again after the connection is lost.
    /// </summary>
    public IpcClientBuilder AddProxy<TContract>() where TContract : class
    {
        ContractRegistry.Get<TContract>(ContractKind.Request);
        var name = Name;
        Services.TryAddSingleton(sp => sp.GetRequiredService<IpcHostedClients>().Get(name).Proxy<TContract>());
        return this;
    }
}
