using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace IpcContracts;

/// <summary>DI registration.</summary>
public static class IpcContractsServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="IEventAggregator"/> as a singleton. Without <c>Connect</c>/<c>Listen</c> it is an
    /// in-process bus; with them it also reaches the other process. The container disposes it. Calling this
    /// again applies <paramref name="configure"/> to the same options. The aggregator logs through the
    /// container's <see cref="ILoggerFactory"/> unless <see cref="IpcOptions.LoggerFactory"/> is set.
    /// </summary>
    /// <returns>A builder that is also the service collection; IpcContracts.Hosting adds servers and clients to it.</returns>
    public static IpcContractsBuilder AddIpcContracts(this IServiceCollection services, Action<IpcContractsOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        if (services is IpcContractsBuilder builder) services = builder.Services;
        var options = services.LastOrDefault(d => d.ServiceType == typeof(IpcContractsOptions) && !d.IsKeyedService)?.ImplementationInstance as IpcContractsOptions;
        if (options is null)
        {
            options = new IpcContractsOptions();
            services.AddSingleton(options);
        }
        configure?.Invoke(options);
        services.TryAddSingleton<EventAggregator>(sp =>
        {
            var o = sp.GetRequiredService<IpcContractsOptions>();
            o.Ipc.LoggerFactory ??= sp.GetService<ILoggerFactory>();
            return new EventAggregator(o);
        });
        services.TryAddSingleton<IEventAggregator>(sp => sp.GetRequiredService<EventAggregator>());
        return new IpcContractsBuilder(services);
    }
}
