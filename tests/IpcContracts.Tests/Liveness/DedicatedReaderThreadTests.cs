using IpcContracts.TestContracts;
using IpcContracts.Tests.Support;

namespace IpcContracts.Tests.Liveness;

/// <summary>
/// <see cref="IpcOptions.DedicatedReaderThread"/> on pipe:// and tcp:// (Linux): each connection reads on a thread of its
/// own, blocked in poll(2). The conformance, stream and binary suites run again with it (the "DedicatedReader" classes);
/// these cases check that the option takes effect, that the thread ends with its connection, and that a peer's death
/// ends a blocked read at once.
/// </summary>
public sealed class DedicatedReaderThreadTests
{
    public static TheoryData<string> Transports => new() { "pipe", "tcp" };

    /// <summary>The thread a caller resumed on after a reply, and whether it was a pool thread (read while it runs).</summary>
    private sealed record Resumed(Thread Thread, bool IsPoolThread);

    /// <summary>
    /// Where the code after an awaited call runs. Each attempt calls from a pool thread of its own. A reply can complete
    /// the call before that thread reaches its <c>await</c> (a dedicated reader is woken at once), and then the code after
    /// it runs on the calling thread, or, when the reply lands while the <c>await</c> registers, on a pool thread: neither
    /// says anything about the connection, and such an attempt is made again (at most 100 times). Without the option every
    /// caller resumes on a pool thread, so the attempts run out and the case fails.
    /// </summary>
    private static async Task<Resumed> ResumedAfterReplyAsync(ICalculator calc)
    {
        for (var attempt = 0; attempt < 100; attempt++)
        {
            var resumed = await Task.Run(async () =>
            {
                var before = Thread.CurrentThread;
                await calc.GetAnswerAsync().ConfigureAwait(false);
                var after = Thread.CurrentThread;
                // Also a pool thread says nothing: a reply that lands between the await's check and its registration
                // resumes the caller through the pool (seen once in CI with the dedicated reader's 45 µs round trips).
                return ReferenceEquals(before, after) || after.IsThreadPoolThread ? null : new Resumed(after, after.IsThreadPoolThread);
            });
            if (resumed is not null) return resumed;
        }
        throw new InvalidOperationException("Every reply of 100 resumed its caller on the calling thread or on a pool thread, never on a reader thread of its own.");
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task With_the_option_a_caller_resumes_on_the_connections_own_reader_thread(string transport)
    {
        if (!OperatingSystem.IsLinux()) return; // the option is Linux's; elsewhere it is ignored
        await using (var pair = await Pair.StartAsync(Endpoints.For(transport), clientOptions: new IpcOptions { DedicatedReaderThread = true }))
        {
            var first = await ResumedAfterReplyAsync(pair.Calculator);
            var second = await ResumedAfterReplyAsync(pair.Calculator);
            Assert.False(first.IsPoolThread);
            Assert.Equal("IpcContracts reader", first.Thread.Name);
            Assert.Same(first.Thread, second.Thread);
        }
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task The_reader_thread_ends_when_its_client_is_disposed_and_when_the_server_goes_away(string transport)
    {
        if (!OperatingSystem.IsLinux()) return;
        var options = new IpcOptions { DedicatedReaderThread = true, Reconnect = { Enabled = false } };
        var pair = await Pair.StartAsync(Endpoints.For(transport), serverOptions: options, clientOptions: options);
        var clientReader = (await ResumedAfterReplyAsync(pair.Calculator)).Thread;
        Assert.True(clientReader.IsAlive);
        await pair.Client.DisposeAsync();
        await Eventually.TrueAsync(() => !clientReader.IsAlive);

        // A second client whose server is disposed: its reader, blocked in poll, sees the end of the stream.
        await using var client = await IpcClient.ConnectAsync(pair.Server.Endpoint.ToString(), options: options);
        var reader = (await ResumedAfterReplyAsync(client.Proxy<ICalculator>())).Thread;
        await pair.Server.DisposeAsync();
        await Eventually.TrueAsync(() => !reader.IsAlive);
        await Assert.ThrowsAsync<ChannelFaultedException>(() => client.Proxy<ICalculator>().GetAnswerAsync());
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Killing_the_server_process_mid_call_fails_the_call_with_ChannelFaultedException(string transport)
    {
        if (!OperatingSystem.IsLinux()) return;
        await using var host = await HostProcess.StartServerAsync(Endpoints.For(transport));
        await using var client = await IpcClient.ConnectAsync(host.Endpoint, options: new IpcOptions { DedicatedReaderThread = true });
        var calc = client.Proxy<ICalculator>();
        Assert.Equal(42, await calc.GetAnswerAsync());
        var call = calc.DelayAsync(60_000, CancellationToken.None);
        await Task.Delay(100);
        var killedAt = Environment.TickCount64;

        host.Kill();

        // As in CrossProcessTests: the bound turns a hang into a failure; the elapsed check catches a fault found by the
        // call's 30 s timeout instead of by the blocked read seeing the peer's death.
        await Assert.ThrowsAsync<ChannelFaultedException>(() => call.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.True(Environment.TickCount64 - killedAt < 5_000, "the fault was detected by a timeout, not by the peer's death");
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task A_24_MiB_payload_and_a_thousand_concurrent_calls_cross_dedicated_readers_on_both_sides(string transport)
    {
        if (!OperatingSystem.IsLinux()) return;
        var options = new IpcOptions { DedicatedReaderThread = true };
        await using var server = await IpcServer.StartAsync(Endpoints.For(transport), b => b.Handle<IBlobs>(new BlobService()).Handle<ICalculator>(new Calculator()), options);
        await using var client = await IpcClient.ConnectAsync(server.Endpoint.ToString(), options: options);
        var data = new byte[24 * 1024 * 1024];
        new Random(7).NextBytes(data);

        var echoed = await client.Proxy<IBlobs>().EchoMemoryAsync(data);

        Assert.True(echoed.Span.SequenceEqual(data));
        var results = await Task.WhenAll(Enumerable.Range(0, 1000).Select(i => client.Proxy<ICalculator>().AddAsync(i, 1)));
        Assert.Equal(Enumerable.Range(1, 1000), results);
    }
}
