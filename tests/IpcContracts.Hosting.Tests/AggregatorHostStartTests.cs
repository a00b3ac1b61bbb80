using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace IpcContracts.Hosting.Tests;

/// <summary>
/// The aggregator starts with the host (issue 18, point 6): a taken endpoint, or for a connecting one a missing server, fails the host's start with a typed error instead of surfacing at the first publish.
/// </summary>
public sealed class AggregatorHostStartTests
{
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(30);

    private static IHost BuildHost(Action<IpcContractsOptions> configure)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddIpcContracts(configure).StartWithHost();
        return builder.Build();
    }

    [Fact]
    public async Task A_listening_aggregator_on_a_taken_endpoint_fails_the_host_start_with_EndpointInUseException()
    {
        var endpoint = Endpoints.Pipe();
        await using var holder = await IpcServer.StartAsync(endpoint);
        using var host = BuildHost(o => o.Listen(endpoint));

        var e = await Assert.ThrowsAsync<EndpointInUseException>(() => host.StartAsync().WaitAsync(HangGuard));

        Assert.Equal(endpoint, e.Endpoint);
    }

    [Fact]
    public async Task A_connecting_aggregator_with_StartWithHost_and_no_server_fails_the_host_start_with_NoServerListeningException()
    {
        var endpoint = Endpoints.Pipe();
        using var host = BuildHost(o =>
        {
            o.Connect(endpoint);
            o.Ipc.ConnectTimeout = TimeSpan.FromHours(1); // a start that still waited for the server would hit the hang guard
        });

        var e = await Assert.ThrowsAsync<NoServerListeningException>(() => host.StartAsync().WaitAsync(HangGuard));

        Assert.Equal(endpoint, e.Endpoint);
    }

    [Fact]
    public async Task With_StartWithHost_the_aggregator_connects_while_the_host_starts()
    {
        var endpoint = Endpoints.Pipe();
        await using var server = await IpcServer.StartAsync(endpoint);
        var connected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        server.ClientConnected += _ => connected.TrySetResult();
        using var host = BuildHost(o => o.Connect(endpoint));

        await host.StartAsync().WaitAsync(HangGuard);

        // Nothing has used the aggregator: had it not started with the host, it would never connect, and this would time out.
        await connected.Task.WaitAsync(HangGuard);
        await host.StopAsync();
    }
}
