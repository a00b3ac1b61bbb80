using IpcContracts.TestContracts;
using IpcContracts.Tests.Support;

namespace IpcContracts.Tests.Liveness;

/// <summary>The receive side's event delivery keeps going whatever a subscriber or the application's error callback does.</summary>
public sealed class EventLoopTests
{
    /// <summary>
    /// <see cref="IpcOptions.EventHandlerException"/> is application code too: when it throws while reporting a
    /// subscriber's failure, later events are still delivered and the connection stays up. Before, the throw
    /// escaped the event loop (pipe: the loop ended and every later event waited in the queue until the bound
    /// closed the connection) or the reader thread (shm, inline delivery: the connection was dropped as "lost").
    /// </summary>
    [Theory]
    [InlineData("pipe")]
    [InlineData("shm")]
    public async Task Events_keep_coming_when_the_EventHandlerException_callback_throws(string transport)
    {
        var reported = 0;
        var clientOptions = new IpcOptions
        {
            AutoReconnect = false,
            EventHandlerException = _ =>
            {
                Interlocked.Increment(ref reported);
                throw new InvalidOperationException("the error callback broke too");
            },
        };
        await using var pair = await Pair.StartAsync(Endpoints.For(transport), clientOptions: clientOptions);
        var collector = new TickCollector(3) { ThrowOnSequence = 1 };
        using var sub = pair.Client.Subscribe<ITicks>(collector);
        await Eventually.TrueAsync(() => pair.Server.Connections.Any(c => c.PeerSubscribed(new Connections.SubscriptionKey(false, ContractIds.Ticks))));
        var publisher = pair.Server.Publisher<ITicks>();

        for (var i = 1; i <= 3; i++) publisher.Tick(new Tick(i, "p"));

        await collector.Done.Task.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal([1, 2, 3], collector.Sequences);
        Assert.Equal(1, Volatile.Read(ref reported));
        Assert.True(pair.Client.Connection.IsConnected);
        Assert.Equal(42, await pair.Calculator.GetAnswerAsync());
    }
}
