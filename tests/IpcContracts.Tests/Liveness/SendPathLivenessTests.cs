using IpcContracts.TestContracts;
using IpcContracts.Tests.Support;

namespace IpcContracts.Tests.Liveness;

/// <summary>
/// The send path never blocks a thread that reads frames or a caller, and every wait has a bound (issue #11,
/// defects 1 and 2). Cross-process: the server is tests/IpcContracts.TestHost in its own process.
/// </summary>
public abstract class SendPathLivenessTests(string transport, bool? dedicatedReader = null)
{
    /// <summary>This process's options: <see cref="IpcOptions.DedicatedReaderThread"/> as the class asks (null: the automatic default).</summary>
    private IpcOptions? O(IpcOptions? given = null) => ReaderOptions.Apply(given, dedicatedReader);

    /// <summary>
    /// Defect 1: several callers whose payloads are larger than the shm ring (1 MiB), both directions at once
    /// (requests up, replies and callbacks down). Before the fix a reader thread blocked writing into a full ring
    /// that only the other side's equally blocked reader could empty: 1 of 45 calls completed.
    /// </summary>
    [Fact]
    public async Task Callers_with_payloads_larger_than_the_ring_all_get_their_answers_in_both_directions()
    {
        await using var host = await HostProcess.StartServerAsync(Endpoints.For(transport));
        await using var client = await IpcClient.ConnectAsync(host.Endpoint, b => b.Handle<IClientCallback>(new Pair.UpperCaser()), O());
        var calc = client.Proxy<ICalculator>();
        var payload = Patterns.Bytes(2 * 1024 * 1024, 5);
        var text = new string('x', 1536 * 1024); // a 1.5 MB callback in the other direction
        var answered = 0;

        async Task Caller(int id)
        {
            for (var i = 0; i < 15; i++)
            {
                if ((i + id) % 3 == 0)
                {
                    Assert.Equal($"server saw '{text.ToUpperInvariant()}'", await calc.CallBackAsync(text));
                }
                else
                {
                    var echo = await calc.EchoBytesAsync(payload);
                    Assert.True(payload.AsSpan().SequenceEqual(echo));
                }
                Interlocked.Increment(ref answered);
            }
        }

        // The bound turns a wedge into a failure; it is not a performance threshold.
        await Task.WhenAll(Enumerable.Range(0, 3).Select(Caller)).WaitAsync(TimeSpan.FromSeconds(90));
        Assert.Equal(45, answered);
        Assert.True(client.Connection.IsConnected);
    }

    /// <summary>
    /// Defect 1, second half, and "every wait has a bound": while the server process is stopped (SIGSTOP), a call
    /// with a payload larger than any buffer returns its task at once (the caller's thread is not blocked), the
    /// call's deadline runs from before its first byte is written, and the stalled connection is closed with a
    /// reason once a write waited longer than SendStallTimeout.
    /// </summary>
    [Fact]
    public async Task A_stopped_peer_never_blocks_the_caller_and_is_disconnected_with_a_reason()
    {
        await using var host = await HostProcess.StartServerAsync(Endpoints.For(transport));
        var options = new IpcOptions { DefaultCallTimeout = TimeSpan.FromSeconds(1), SendStallTimeout = TimeSpan.FromSeconds(3), Reconnect = { Enabled = false } };
        await using var client = await IpcClient.ConnectAsync(host.Endpoint, options: O(options));
        var calc = client.Proxy<ICalculator>();
        Assert.Equal(42, await calc.GetAnswerAsync());

        ProcessSignal.Send(host.Id, "STOP");
        try
        {
            var big = new byte[8 * 1024 * 1024]; // more than the ring and any socket buffer
            Task<byte[]>? call = null;
            // The synchronous part of the call runs on its own thread so a blocked send fails the test instead of hanging it.
            var returned = Task.Factory.StartNew(() => call = calc.EchoBytesAsync(big), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
            await returned.WaitAsync(TimeSpan.FromSeconds(20));
            Assert.NotNull(call);

            // The deadline was armed before the first byte: the call ends although its request never left.
            await Assert.ThrowsAsync<TimeoutException>(() => call!.WaitAsync(TimeSpan.FromSeconds(20)));

            // The peer does not read: the stalled write closes the connection with that reason.
            var reason = await client.Connection.Completion.WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Contains("stopped reading", reason.Message);
            Assert.Equal(DisconnectReason.Stalled, reason.Reason);
            Assert.False(client.Connection.IsConnected);
        }
        finally
        {
            ProcessSignal.Send(host.Id, "CONT");
        }
    }
}

public sealed class ShmSendPathLiveness() : SendPathLivenessTests("shm");

public sealed class PipeSendPathLiveness() : SendPathLivenessTests("pipe");

public sealed class TcpSendPathLiveness() : SendPathLivenessTests("tcp");

/// <summary>The client reads on a thread of its own and writes through non-blocking sends (PollingSocketWriter).</summary>
public sealed class PipeDedicatedReaderSendPathLiveness() : SendPathLivenessTests("pipe", dedicatedReader: true);

/// <inheritdoc cref="PipeDedicatedReaderSendPathLiveness"/>
public sealed class TcpDedicatedReaderSendPathLiveness() : SendPathLivenessTests("tcp", dedicatedReader: true);

/// <summary>Defect 2: a frame queued while the writer gives up its role must still be sent, on every transport.</summary>
public sealed class SendQueueRaceTests
{
    [Theory]
    [InlineData("pipe")]
    [InlineData("shm")]
    [InlineData("inproc")]
    public async Task Concurrent_pings_never_strand_a_frame_in_the_send_queue(string transport)
    {
        // A stranded frame waits until some other send happens; with four pingers each waiting for its own answer
        // there is none, so the stranded ping times out. The short timeout only makes a stranded frame visible.
        var options = new IpcOptions { DefaultCallTimeout = TimeSpan.FromSeconds(2) };
        await using var pair = await Pair.StartAsync(Endpoints.For(transport), options, options);
        var connection = pair.Client.Connection;
        var timeouts = 0;

        async Task Pinger()
        {
            for (var i = 0; i < 8_000; i++)
            {
                try
                {
                    await connection.PingAsync();
                }
                catch (TimeoutException)
                {
                    Interlocked.Increment(ref timeouts);
                }
            }
        }

        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(Pinger))).WaitAsync(TimeSpan.FromMinutes(3));
        Assert.Equal(0, timeouts);
    }
}
