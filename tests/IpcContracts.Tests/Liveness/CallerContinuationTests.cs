using IpcContracts.TestContracts;
using IpcContracts.Tests.Support;

namespace IpcContracts.Tests.Liveness;

/// <summary>
/// On socket transports a reply read by the connection's loop resumes its caller on the thread that read it, once the
/// loop has armed its next read (no thread-pool hop of its own; docs/semantics.md, Connections 2). The caller's code
/// must still never hold up reading: here it blocks synchronously on a second call of the same connection, which only
/// a reader that has moved on can answer. Resuming the caller before the next read is armed would wedge this (the wait
/// bound turns that into a failure; it is not a performance threshold). The same for a stream consumer's loop body.
/// Cross-process: the server is the TestHost.
/// </summary>
public sealed class CallerContinuationTests
{
    [Theory]
    [InlineData("pipe")]
    [InlineData("tcp")]
    public async Task A_caller_that_blocks_after_its_await_does_not_stop_the_connection_reading(string transport)
    {
        await using var host = await HostProcess.StartServerAsync(Endpoints.For(transport));
        await using var client = await IpcClient.ConnectAsync(host.Endpoint);
        var calc = client.Proxy<ICalculator>();
        // Off the test framework's synchronization context: the code after each await runs where the reply was read.
        await Task.Run(() => RoundsAsync(calc));
        Assert.True(client.Connection.IsConnected);
    }

    private static async Task RoundsAsync(ICalculator calc)
    {
        for (var i = 0; i < 50; i++)
        {
            // A Task method and a ValueTask method: both kinds of pending call resume the same way.
            Assert.Equal(i + 1, await calc.AddAsync(i, 1).ConfigureAwait(false));
            Assert.Equal(i + 2, BlockUntilAnswered(calc.AddAsync(i, 2), $"round {i}, Task method"));

            Assert.Equal(i + 1, await calc.IncrementAsync(i).ConfigureAwait(false));
            Assert.Equal(i + 2, BlockUntilAnswered(calc.IncrementAsync(i + 1).AsTask(), $"round {i}, ValueTask method"));
        }
    }

    /// <summary>
    /// A stream consumer's code (the body of <c>await foreach</c>) never holds up reading either, on any transport: here it
    /// blocks synchronously every 100 items on a call of the same connection, which only a reader that has moved on can
    /// answer, while the producer (mostly synchronous, so its items come in batches) keeps the stream's credit window
    /// busy. A consumer resumed on the read loop would wedge this at the first block (the wait bound turns that into a
    /// failure). Every item still arrives, in order, and the stream ends.
    /// </summary>
    [Theory]
    [InlineData("pipe")]
    [InlineData("tcp")]
    [InlineData("shm")]
    public async Task A_stream_consumer_that_blocks_in_its_loop_does_not_stop_the_connection_reading(string transport)
    {
        await using var host = await HostProcess.StartServerAsync(Endpoints.For(transport));
        await using var client = await IpcClient.ConnectAsync(host.Endpoint);
        var calc = client.Proxy<ICalculator>();
        var streams = client.Proxy<IStreams>();
        const int count = 5_000;
        var next = 1;
        await Task.Run(async () =>
        {
            await foreach (var i in streams.RangeAsync(1, count).ConfigureAwait(false))
            {
                Assert.Equal(next++, i);
                if (i % 100 == 0) Assert.Equal(i + 1, BlockUntilAnswered(calc.AddAsync(i, 1), $"item {i}"));
            }
        });
        Assert.Equal(count + 1, next);
        Assert.True(client.Connection.IsConnected);
    }

    /// <summary>Blocks this thread (deliberately: the point of the test) until <paramref name="call"/> is answered.</summary>
    private static int BlockUntilAnswered(Task<int> call, string what)
    {
        Assert.True(call.Wait(TimeSpan.FromSeconds(30)), $"{what}: not answered while the previous call's caller blocked");
        return call.Result;
    }

    /// <summary>A call that cannot start (the connection is gone) hands back a Task that has already failed.</summary>
    [Theory]
    [InlineData("pipe")]
    [InlineData("tcp")]
    public async Task A_call_on_a_closed_connection_returns_an_already_failed_task(string transport)
    {
        await using var host = await HostProcess.StartServerAsync(Endpoints.For(transport));
        var client = await IpcClient.ConnectAsync(host.Endpoint, options: new IpcOptions { Reconnect = { Enabled = false } });
        var connection = client.Connection;
        await client.DisposeAsync();
        var ping = connection.PingAsync();
        Assert.True(ping.IsFaulted, $"status {ping.Status}");
        await Assert.ThrowsAsync<ChannelFaultedException>(() => ping);
    }
}
