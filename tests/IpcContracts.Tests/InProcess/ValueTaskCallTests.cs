using IpcContracts.TestContracts;
using IpcContracts.Tests.Support;

namespace IpcContracts.Tests.InProcess;

/// <summary>
/// A contract method returning ValueTask is completed from a pooled call object that is reused once its caller has read
/// the result (Connections/PooledCall.cs). Every outcome must reach the right caller, and a reused object must behave as a
/// fresh one, alone and under concurrency.
/// </summary>
public sealed class ValueTaskCallTests
{
    private static async Task<(IpcServer Server, IpcClient Client, IValueCalls Calls)> StartAsync(string transport, IpcOptions? clientOptions = null)
    {
        var server = await IpcServer.StartAsync(Endpoints.For(transport), b => b.Handle<IValueCalls>(new ValueCalls()));
        var client = await IpcClient.ConnectAsync(server.Endpoint.ToString(), options: clientOptions);
        return (server, client, client.Proxy<IValueCalls>());
    }

    [Theory]
    [InlineData("inproc")]
    [InlineData("pipe")]
    [InlineData("shm")]
    public async Task Every_outcome_reaches_its_caller_and_the_reused_call_objects_behave_as_new(string transport)
    {
        // Only the call meant to time out gets a short deadline (below): with a 0.3 s DefaultCallTimeout every call of the
        // loop had one, and on a loaded machine an ordinary call sometimes took longer (CI at d90ceec).
        var (server, client, calls) = await StartAsync(transport);
        await using var _ = server;
        await using var __ = client;

        for (var round = 0; round < 3; round++)
        {
            Assert.Equal($"r{round}", await calls.EchoAsync($"r{round}"));
            await calls.FailAsync(null);
            var remote = await Assert.ThrowsAsync<RemoteInvocationException>(async () => await calls.FailAsync($"boom {round}"));
            Assert.Equal($"boom {round}", remote.RemoteMessage);
            Assert.Equal(typeof(InvalidOperationException).FullName, remote.RemoteType);

            using var cts = new CancellationTokenSource();
            var cancelled = calls.DelayAsync(1, 60_000, cts.Token);
            cts.Cancel();
            var oce = await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await cancelled);
            Assert.Equal(cts.Token, oce.CancellationToken);

            using (IpcCall.WithTimeout(TimeSpan.FromMilliseconds(300)))
                await Assert.ThrowsAsync<TimeoutException>(async () => await calls.DelayAsync(2, 60_000, CancellationToken.None));

            using var already = new CancellationTokenSource();
            already.Cancel();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await calls.DelayAsync(3, 0, already.Token));

            Assert.Equal(7 + round, await calls.DelayAsync(7 + round, 1, CancellationToken.None));
        }
    }

    [Theory]
    [InlineData("pipe")]
    [InlineData("shm")]
    public async Task Concurrent_calls_each_get_their_own_result_while_call_objects_are_reused(string transport)
    {
        var (server, client, calls) = await StartAsync(transport);
        await using var _ = server;
        await using var __ = client;

        for (var round = 0; round < 20; round++)
        {
            var values = Enumerable.Range(round * 100, 64).ToArray();
            var results = await Task.WhenAll(values.Select(v => calls.DelayAsync(v, v % 3, CancellationToken.None).AsTask()));
            Assert.Equal(values, results);
            var texts = await Task.WhenAll(values.Select(v => calls.EchoAsync($"t{v}").AsTask()));
            Assert.Equal(values.Select(v => $"t{v}"), texts);
        }
    }

    [Fact]
    public async Task A_connection_closing_fails_a_pending_ValueTask_call()
    {
        var (server, client, calls) = await StartAsync("pipe");
        await using var __ = client;
        Assert.Equal("before", await calls.EchoAsync("before"));
        var pending = calls.DelayAsync(1, 60_000, CancellationToken.None);

        await server.DisposeAsync();

        await Assert.ThrowsAnyAsync<IpcException>(async () => await pending);
    }

    /// <summary>
    /// The handler's context is switched to a cached one per connection instead of being set per call
    /// (IpcCallContext.Enter): the handler must still see its connection before and after an await, call after call.
    /// </summary>
    [Theory]
    [InlineData("inproc")]
    [InlineData("pipe")]
    [InlineData("shm")]
    public async Task A_handler_sees_its_connection_in_IpcCallContext_before_and_after_an_await_on_every_call(string transport)
    {
        var (server, client, calls) = await StartAsync(transport);
        await using var _ = server;
        await using var __ = client;
        // The server lists a connection once its side of the handshake is done, which over shm:// can be just after the
        // client's ConnectAsync returned (this failed once in a full run with "Sequence contains no elements").
        await Eventually.TrueAsync(() => server.Connections.Count == 1);
        var connection = server.Connections.Single().GetHashCode();

        for (var i = 0; i < 5; i++)
            Assert.Equal($"{connection}/{connection}", await calls.ContextAsync());
        Assert.Null(IpcCallContext.Connection); // nothing leaked to the caller's side
    }

    /// <summary>
    /// Leaving a handler restores the reader thread's execution context (IpcCallContext.Enter): an AsyncLocal the handler's
    /// synchronous part set does not reach the next call. Before, it stayed in the reader loop's context for good.
    /// </summary>
    [Theory]
    [InlineData("inproc")]
    [InlineData("pipe")]
    [InlineData("shm")]
    public async Task What_a_handler_puts_into_its_execution_context_does_not_reach_the_next_call(string transport)
    {
        var (server, client, calls) = await StartAsync(transport);
        await using var _ = server;
        await using var __ = client;

        for (var i = 0; i < 3; i++)
            Assert.Null(await calls.SwapMarkAsync($"call {i}"));
    }
}
