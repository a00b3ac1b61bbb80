using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace IpcContracts.Hosting;

/// <summary>
/// Servers and clients on the <c>services.AddIpcContracts()</c> builder, run by the Generic Host:
/// <code>
/// services.AddIpcContracts()
///     .AddServer("pipe://inventory", s => s.Handle&lt;IInventory, InventoryService&gt;().AddPublisher&lt;IInventoryEvents&gt;())
///     .AddClient("pricing", "pipe://pricing", c => c.AddProxy&lt;IPricing&gt;());
/// </code>
/// </summary>
public static class IpcHostingExtensions
{
    /// <summary>Adds the default server (name "") listening on <paramref name="endpoint"/>.</summary>
    public static IpcContractsBuilder AddServer(this IpcContractsBuilder builder, string endpoint, Action<IpcServerBuilder> configure) =>
        builder.AddServer("", endpoint, configure);

    /// <summary>
    /// Adds a server named <paramref name="name"/> listening on <paramref name="endpoint"/>. It starts and stops with
    /// the host; its options are validated when the host starts; get it from <see cref="IpcHostedServers"/>.
    /// </summary>
    public static IpcContractsBuilder AddServer(this IpcContractsBuilder builder, string name, string endpoint, Action<IpcServerBuilder> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(configure);
        var registry = EnsureHosting(builder.Services);
        if (!registry.Servers.Add(name)) throw new IpcConfigurationException($"An IPC server named '{name}' is already registered.");
        builder.Services.AddOptions<IpcServerOptions>(name).Configure(o => o.Endpoint ??= endpoint).ValidateOnStart();
        configure(new IpcServerBuilder(builder.Services, name));
        return builder;
    }

    /// <summary>Adds the default client (name "") of the server at <paramref name="endpoint"/>.</summary>
    public static IpcContractsBuilder AddClient(this IpcContractsBuilder builder, string endpoint, Action<IpcClientBuilder>? configure = null) =>
        builder.AddClient("", endpoint, configure);

    /// <summary>
    /// Adds a client connection named <paramref name="name"/> to <paramref name="endpoint"/>; it connects on first use
    /// (or at start with <see cref="IpcClientOptions.ConnectOnStart"/>). Get it from <see cref="IpcHostedClients"/>.
    /// </summary>
    public static IpcContractsBuilder AddClient(this IpcContractsBuilder builder, string name, string endpoint, Action<IpcClientBuilder>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(name);
        var registry = EnsureHosting(builder.Services);
        if (!registry.Clients.Add(name)) throw new IpcConfigurationException($"An IPC client named '{name}' is already registered.");
        builder.Services.AddOptions<IpcClientOptions>(name).Configure(o => o.Endpoint ??= endpoint).ValidateOnStart();
        configure?.Invoke(new IpcClientBuilder(builder.Services, name));
        return builder;
    }

    /// <summary>
    /// Starts the aggregator (<see cref="IEventAggregator.StartAsync"/>) while the host starts, so a taken endpoint
    /// (<see cref="EndpointInUseException"/>) or, for one that connects, a server that is not there
    /// (<see cref="NoServerListeningException"/>; set <see cref="IpcOptions.WaitForServer"/> to wait for it) fails the
    /// host's start instead of the first publish. Without it a listening aggregator still starts with the host once the
    /// builder has servers or clients, and a connecting one connects on first use.
    /// </summary>
    public static IpcContractsBuilder StartWithHost(this IpcContractsBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        EnsureHosting(builder.Services).StartAggregator = true;
        return builder;
    }

    private static IpcHostingRegistry EnsureHosting(IServiceCollection services)
    {
        if (services.LastOrDefault(d => d.ServiceType == typeof(IpcHostingRegistry))?.ImplementationInstance is IpcHostingRegistry existing)
            return existing;
        var registry = new IpcHostingRegistry();
        services.AddSingleton(registry);
        services.AddOptions();
        services.TryAddSingleton<IpcHostedServers>();
        services.TryAddSingleton(sp => new IpcHostedClients(sp.GetRequiredService<IpcHostingRegistry>(),
            sp.GetRequiredService<IOptionsMonitor<IpcClientOptions>>(), sp, sp.GetService<ILoggerFactory>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<IpcServerOptions>, IpcHostingOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<IpcClientOptions>, IpcHostingOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, IpcContractsHostedService>());
        return registry;
    }
}
