using System.Collections.Concurrent;
using System.Text.Json.Serialization.Metadata;
using IpcContracts.Runtime;
using IpcContracts.Transports;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace IpcContracts.Hosting;

/// <summary>The client connections registered with <c>AddClient</c>, by name.</summary>
public sealed class IpcHostedClients : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, IpcHostedClient> _clients = new(StringComparer.Ordinal);
    private readonly IpcHostingRegistry _registry;
    private readonly IOptionsMonitor<IpcClientOptions> _options;
    private readonly IServiceProvider _services;
    private readonly ILoggerFactory? _loggerFactory;

    internal IpcHostedClients(IpcHostingRegistry registry, IOptionsMonitor<IpcClientOptions> options, IServiceProvider services, ILoggerFactory? loggerFactory)
    {
        _registry = registry;
        _options = options;
        _services = services;
        _loggerFactory = loggerFactory;
    }

    /// <summary>The client named <paramref name="name"/> ("" for the default client). It connects on first use.</summary>
    public IpcHostedClient Get(string name = "")
    {
        if (!_registry.Clients.Contains(name))
            throw new InvalidOperationException($"No IPC client named '{name}' is registered (AddClient).");
        return _clients.GetOrAdd(name, static (n, self) => self.Create(n), this);
    }

    private IpcHostedClient Create(string name)
    {
        var options = _options.Get(name);
        options.Ipc.LoggerFactory ??= _loggerFactory;
        var handlers = new IpcEndpointBuilder(options.Ipc);
        foreach (var register in options.Handlers) register(handlers, _services);
        var logger = _loggerFactory?.CreateLogger(HostingLog.Category);
        return new IpcHostedClient(name, IpcEndpoint.Parse(options.Endpoint!), handlers, logger);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        foreach (var client in _clients.Values) await client.DisposeAsync().ConfigureAwait(false);
    }
}
