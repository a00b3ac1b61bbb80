using System.Diagnostics.CodeAnalysis;
using IpcContracts.Runtime;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace IpcContracts.Hosting;

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
        return Handle<TContract>((services, _) => factory(services));
    }

    /// <summary>
    /// Handles server callbacks on <typeparamref name="TContract"/> with what <paramref name="factory"/> returns from each
    /// call's scope, given the connection the call came on.
    /// </summary>
    public IpcClientBuilder Handle<TContract>(Func<IServiceProvider, IpcConnection, TContract> factory) where TContract : class
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
