using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace IpcContracts;

/// <summary>DI registration.</summary>
public static class IpcContractsServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="IEventAggregator"/> as a singleton. Without <c>Connect</c>/<c>Listen</c> it is an
    /// in-process bus; with them it also reaches the other process. The container disposes it.
    /// </summary>
    public static IServiceCollection AddIpcContracts(this IServiceCollection services, Action<IpcContractsOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = new IpcContractsOptions();
        configure?.Invoke(options);
        services.TryAddSingleton(options);
        services.TryAddSingleton<EventAggregator>(sp => new EventAggregator(sp.GetRequiredService<IpcContractsOptions>()));
        services.TryAddSingleton<IEventAggregator>(sp => sp.GetRequiredService<EventAggregator>());
        return services;
    }
}
