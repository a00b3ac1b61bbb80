using IpcContracts.TestContracts;
using IpcContracts.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace IpcContracts.Tests.Aggregator;

/// <summary>
/// <see cref="IEventAggregator.StartAsync"/> (issue 18, point 6): a taken endpoint or a missing server fails the start
/// at once with a typed error, instead of one line on standard error and a failure at the next publish.
/// </summary>
public sealed class AggregatorStartTests
{
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(30);

    [Theory]
    [InlineData("tcp")]
    [InlineData("pipe")]
    [InlineData("shm")]
    [InlineData("inproc")]
    public async Task Starting_on_a_taken_endpoint_fails_at_once_with_EndpointInUseException(string transport)
    {
        await using var holder = await IpcServer.StartAsync(Endpoints.For(transport));
        var taken = holder.Endpoint.ToString(); // tcp: the port the holder bound
        IEventAggregator aggregator = new EventAggregator(new IpcContractsOptions().Listen(taken));
        await using var _ = aggregator;

        var e = await Assert.ThrowsAsync<EndpointInUseException>(() => aggregator.StartAsync().WaitAsync(HangGuard));

        Assert.Equal(taken, e.Endpoint);
        Assert.Contains($"Cannot listen on {taken}", e.Message);
        Assert.DoesNotContain("pipe://", transport == "shm" ? e.Message : ""); // shm names its own endpoint, not its control socket
        // The holder is untouched and still serves.
        await using var client = await IpcClient.ConnectAsync(taken);
        await client.Connection.PingAsync();
    }

    [Theory]
    [InlineData("pipe")]
    [InlineData("shm")]
    [InlineData("inproc")]
    public async Task Starting_a_client_aggregator_with_no_server_fails_at_once_with_NoServerListeningException(string transport)
    {
        var endpoint = Endpoints.For(transport);
        var options = new IpcContractsOptions().Connect(endpoint);
        options.Ipc.ConnectTimeout = TimeSpan.FromHours(1); // a start that still waited for the server would hit the hang guard
        await using IEventAggregator aggregator = new EventAggregator(options);

        var e = await Assert.ThrowsAsync<NoServerListeningException>(() => aggregator.StartAsync().WaitAsync(HangGuard));

        Assert.Equal(endpoint, e.Endpoint);
        Assert.Contains(endpoint, e.Message);
    }

    [Fact]
    public async Task A_failed_start_can_be_tried_again_once_the_server_is_there()
    {
        var endpoint = Endpoints.Pipe();
        await using IEventAggregator client = new EventAggregator(new IpcContractsOptions().Connect(endpoint));
        await Assert.ThrowsAsync<NoServerListeningException>(() => client.StartAsync().WaitAsync(HangGuard));

        await using IEventAggregator server = new EventAggregator(new IpcContractsOptions().Listen(endpoint));
        using var handler = server.SubscribeRequest<GetPrice, Price>((r, _) => Task.FromResult(new Price(r.Sku, 5m)));
        await server.StartAsync();
        await client.StartAsync();

        Assert.Equal(new Price("Q", 5m), await client.RequestAsync<GetPrice, Price>(new GetPrice("Q")));
    }

    [Fact]
    public async Task StartAsync_through_the_DI_interface_listens_and_connects_and_a_second_call_does_nothing()
    {
        var endpoint = Endpoints.Pipe();
        await using var serverProvider = new ServiceCollection().AddIpcContracts(o => o.Listen(endpoint)).Services.BuildServiceProvider();
        await using var clientProvider = new ServiceCollection().AddIpcContracts(o => o.Connect(endpoint)).Services.BuildServiceProvider();
        var server = serverProvider.GetRequiredService<IEventAggregator>();
        var client = clientProvider.GetRequiredService<IEventAggregator>();
        var atServer = new TaskCompletionSource<PriceChanged>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var sub = server.Subscribe<PriceChanged>(m => atServer.TrySetResult(m));

        await server.StartAsync();
        await server.StartAsync();
        await client.StartAsync();
        await client.PublishAsync(new PriceChanged("S-1", 1m));

        Assert.Equal("S-1", (await atServer.Task.WaitAsync(HangGuard)).Sku);
    }
}
