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
        return Handle<TContract>((services, _) => factory(services));
    }

    /// <summary>
    /// Handles <typeparamref name="TContract"/> with what <paramref name="factory"/> returns from each call's own DI scope,
    /// given the connection the call came on: a handler that calls back into its client takes it as a constructor
    /// argument (<c>Handle&lt;IInventory&gt;((services, caller) =&gt; new InventoryService(services.GetRequiredService&lt;Stock&gt;(), caller))</c>).
    /// </summary>
    public IpcServerBuilder Handle<TContract>(Func<IServiceProvider, IpcConnection, TContract> factory) where TContract : class
    {
        ArgumentNullException.ThrowIfNull(factory);
        ContractRegistry.Get<TContract>(ContractKind.Request); // fails here, at registration, for a non-contract
        return Configure(o => o.Handlers.Add((endpoint, services) => ScopedHandlers.Register(endpoint, services, factory)));
    }

    /// <summary>
    /// Registers <typeparamref name="TEvents"/> ([EventContract]) as a singleton whose calls publish to every client of
    /// this server subscribed to it (serialized once per event). Inject it anywhere, also into a
    /// <c>BackgroundService</c> or work a handler leaves running after its call: it works for the whole host lifetime,
    /// because the server starts before any hosted service starts and stops after every hosted service has stopped.
    /// </summary>
    /// <remarks>
    /// Used before the host has started the server, or after the host has stopped it, a publish throws
    /// <see cref="InvalidOperationException"/> rather than dropping the event. Keep the injected publisher, not the call's
    /// <see cref="IServiceProvider"/>: the provider of a call's scope is disposed when the call completes.
    /// </remarks>
    public IpcServerBuilder AddPublisher<TEvents>() where TEvents : class
    {
        var contract = ContractRegistry.Get<TEvents>(ContractKind.Event);
        var name = Name;
        Services.TryAddSingleton(sp => contract.CreateProxy(new HostedServerPublisher(sp.GetRequiredService<IpcHostedServers>(), name)));
        return this;
    }
}
