using IpcContracts.TestContracts;
using IpcContracts.Tests.Support;

namespace IpcContracts.Tests.Nats;

/// <summary>
/// Which thread runs what over a NATS broker. The transport hands each message to its core on the NATS client's socket
/// reader and the core handles it there (TransportFeatures.InlineReads: no thread hand-off); that thread goes back to
/// receiving only when the core is done. So the code after <c>await proxy.CallAsync()</c> must not run there: it is
/// resumed on a thread of its own, where it may block, even on another call of the same connection.
/// </summary>
public sealed class NatsThreadingTests
{
    [NatsFact]
    public async Task Code_after_an_awaited_call_may_block_on_another_call_of_the_same_connection()
    {
        var endpoint = NatsBroker.NewEndpoint();
        await using var server = await IpcServer.StartAsync(endpoint, b => b.Handle<ICalculator>(new Calculator()));
        await using var client = await IpcClient.ConnectAsync(endpoint);
        var calculator = client.Proxy<ICalculator>();

        for (var i = 0; i < 20; i++)
        {
            Assert.Equal(i + 1, await calculator.AddAsync(i, 1));
            // Resumed on the NATS client's reader, this wait would hold the thread that has to read its own reply.
            var blocking = calculator.AddAsync(i, 2);
            Assert.True(blocking.Wait(TimeSpan.FromSeconds(20)), $"a blocking wait after an awaited call (round {i}) never saw its reply");
            Assert.Equal(i + 2, blocking.Result);
        }
    }
}
