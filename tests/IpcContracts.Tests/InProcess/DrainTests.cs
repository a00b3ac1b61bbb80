using IpcContracts.TestContracts;
using IpcContracts.Tests.Support;

namespace IpcContracts.Tests.InProcess;

/// <summary><see cref="IpcServer.DrainAsync"/>: the public graceful stop (docs/semantics.md, "Connections and reconnects").</summary>
public sealed class DrainTests
{
    /// <summary>A server with the calculator and an untyped "hold" method that answers only when the test opens its gate.</summary>
    private sealed class HoldingServer : IAsyncDisposable
    {
        public readonly TaskCompletionSource Started = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public readonly TaskCompletionSource Release = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public IpcServer Server { get; private set; } = null!;
        public IpcClient Client { get; private set; } = null!;

        public static async Task<HoldingServer> StartAsync()
        {
            var holding = new HoldingServer();
            holding.Server = await IpcServer.StartAsync(Endpoints.InProc(), b => b
                .Handle<ICalculator>(new Calculator())
                .HandleRaw("test.drain", "Hold", async _ =>
                {
                    holding.Started.TrySetResult();
                    await holding.Release.Task;
                    return "\"done\"";
                }));
            holding.Client = await IpcClient.ConnectAsync(holding.Server.Endpoint.ToString());
            return holding;
        }

        public async Task<Task<string>> HoldAsync()
        {
            var call = Client.Connection.InvokeRawAsync("test.drain", "Hold");
            await Started.Task.WaitAsync(TimeSpan.FromSeconds(30));
            return call;
        }

        public async ValueTask DisposeAsync()
        {
            Release.TrySetResult();
            await Client.DisposeAsync();
            await Server.DisposeAsync();
        }
    }

    [Fact]
    public async Task DrainAsync_refuses_new_requests_as_overloaded_and_completes_once_the_request_in_flight_has_replied()
    {
        await using var holding = await HoldingServer.StartAsync();
        var inFlight = await holding.HoldAsync();
        Assert.Equal(1, holding.Server.InFlightRequests);

        var drain = holding.Server.DrainAsync(TimeSpan.FromMinutes(5));

        var refused = await Assert.ThrowsAsync<IpcOverloadedException>(() => holding.Client.Proxy<ICalculator>().GetAnswerAsync());
        Assert.Contains("shutting down", refused.Message);
        Assert.False(drain.IsCompleted); // still waiting for the held request, which still runs
        Assert.Equal(1, holding.Server.InFlightRequests);

        holding.Release.SetResult();

        Assert.Equal("\"done\"", await inFlight);                            // the request in flight got its answer
        Assert.Equal(0, await drain.WaitAsync(TimeSpan.FromSeconds(30)));  // and the drain saw it finish
        Assert.True(holding.Client.Connection.IsConnected);                 // draining does not close connections
        await Assert.ThrowsAsync<IpcOverloadedException>(() => holding.Client.Proxy<ICalculator>().GetAnswerAsync()); // until disposed
    }

    [Fact]
    public async Task DrainAsync_ends_at_its_timeout_with_the_count_still_running_and_disposing_then_ends_those_calls()
    {
        await using var holding = await HoldingServer.StartAsync();
        var inFlight = await holding.HoldAsync(); // never released before the server goes

        Assert.Equal(1, await holding.Server.DrainAsync(TimeSpan.Zero).WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(1, await holding.Server.DrainAsync(TimeSpan.FromMilliseconds(50)).WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.False(inFlight.IsCompleted);

        await holding.Server.DisposeAsync();
        await Assert.ThrowsAsync<ChannelFaultedException>(() => inFlight);
    }

    [Fact]
    public async Task DrainAsync_has_no_unbounded_form_and_honours_its_token()
    {
        await using var holding = await HoldingServer.StartAsync();
        await holding.HoldAsync();

        Assert.Throws<ArgumentOutOfRangeException>(() => { _ = holding.Server.DrainAsync(Timeout.InfiniteTimeSpan); });
        using var cancelled = new CancellationTokenSource();
        var drain = holding.Server.DrainAsync(TimeSpan.FromMinutes(5), cancelled.Token);
        cancelled.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => drain.WaitAsync(TimeSpan.FromSeconds(30)));
    }
}
