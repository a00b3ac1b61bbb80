using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace IpcContracts.Hosting;

/// <summary>
/// Starts the hosted servers (and a listening aggregator, and clients that connect on start) with the host, and
/// stops them with it: new calls are refused, calls in flight may finish (bounded by
/// <see cref="IpcServerOptions.DrainTimeout"/> and the host's shutdown timeout), then connections are closed.
/// </summary>
/// <remarks>
/// The servers start in <see cref="StartingAsync"/> and close in <see cref="StoppedAsync"/>, around every hosted service's
/// StartAsync and StopAsync, so a publisher injected into a <c>BackgroundService</c> reaches subscribers from that
/// service's start until it has stopped, whichever order the services were registered in (hosted services start in
/// registration order and stop in reverse, so with plain StartAsync/StopAsync a service registered before
/// <c>AddIpcContracts</c> would publish into a server not started yet, and again into one already stopped). The drain
/// runs in <see cref="StoppingAsync"/>: requests are refused from the start of the shutdown on, while events still flow.
/// </remarks>
internal sealed class IpcContractsHostedService(
    IpcHostingRegistry registry,
    IpcHostedServers servers,
    IpcHostedClients clients,
    IOptionsMonitor<IpcServerOptions> serverOptions,
    IOptionsMonitor<IpcClientOptions> clientOptions,
    IServiceProvider services,
    ILoggerFactory? loggerFactory = null) : IHostedLifecycleService
{
    private readonly ILogger? _logger = loggerFactory?.CreateLogger(HostingLog.Category);

    public async Task StartingAsync(CancellationToken cancellationToken)
    {
        foreach (var name in registry.Servers)
        {
            var options = serverOptions.Get(name); // throws OptionsValidationException when invalid
            options.Ipc.LoggerFactory ??= loggerFactory;
            var server = await IpcServer.StartAsync(options.Endpoint!, endpoint =>
            {
                foreach (var register in options.Handlers) register(endpoint, services);
            }, options.Ipc, cancellationToken).ConfigureAwait(false);
            servers.Add(name, server);
            if (_logger is not null) HostingLog.ServerStarted(_logger, name, server.Endpoint.ToString());
        }
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (services.GetService<IpcContractsOptions>() is { } aggregator
            && (aggregator.ListenOn is not null || (aggregator.ConnectTo is not null && registry.StartAggregator)))
        {
            // A listening aggregator must be there when the first client connects, and a taken port must fail the start,
            // not the first publish; a connecting one starts here only when asked (StartWithHost), else on first use.
            await services.GetRequiredService<EventAggregator>().StartAsync(cancellationToken).ConfigureAwait(false);
            if (_logger is not null) HostingLog.AggregatorStarted(_logger);
        }
        foreach (var name in registry.Clients)
        {
            if (clientOptions.Get(name).ConnectOnStart) await clients.Get(name).GetConnectionAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        var draining = new List<Task>();
        foreach (var name in registry.Servers)
        {
            if (servers.TryGet(name) is { } server) draining.Add(DrainAsync(name, server, serverOptions.Get(name).DrainTimeout, cancellationToken));
        }
        await Task.WhenAll(draining).ConfigureAwait(false);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StoppedAsync(CancellationToken cancellationToken)
    {
        var stopping = new List<Task>();
        foreach (var name in registry.Servers)
        {
            if (servers.Remove(name, out var server) && server is not null) stopping.Add(StopServerAsync(name, server));
        }
        await Task.WhenAll(stopping).ConfigureAwait(false);
    }

    private async Task DrainAsync(string name, IpcServer server, TimeSpan drainTimeout, CancellationToken hostTimeout)
    {
        var drain = server.DrainAsync(drainTimeout, hostTimeout); // new requests are refused from here on
        if (server.InFlightRequests is var inFlight and > 0 && _logger is not null)
            HostingLog.ServerDraining(_logger, name, drainTimeout.TotalSeconds, inFlight);
        int left;
        try
        {
            left = await drain.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            left = server.InFlightRequests; // the host's own shutdown timeout ended the drain first
        }
        if (left > 0 && _logger is not null) HostingLog.DrainIncomplete(_logger, name, left);
    }

    // Disposing cancels whatever still runs (a drain that ended incomplete) and closes the connections.
    private async Task StopServerAsync(string name, IpcServer server)
    {
        await server.DisposeAsync().ConfigureAwait(false);
        if (_logger is not null) HostingLog.ServerStopped(_logger, name);
    }
}
