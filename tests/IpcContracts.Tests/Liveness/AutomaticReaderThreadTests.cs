using IpcContracts.TestContracts;
using IpcContracts.Tests.Support;
using IpcContracts.Transports.Streams;

namespace IpcContracts.Tests.Liveness;

/// <summary>Tests that count this process's automatic reader threads run alone, with no other connection taking one meanwhile.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class CountsReaderThreads
{
    public const string Name = "Counts reader threads (runs alone)";
}

/// <summary>
/// <see cref="IpcOptions.DedicatedReaderThread"/> left at its default (<c>null</c>, automatic) on pipe:// and tcp:// (Linux): a
/// connection reads on a thread of its own while fewer than <see cref="DedicatedReader.AutomaticLimit"/> connections of
/// the process have one, callers still resume on the thread pool, and a connection gives its thread back when it ends.
/// A handler's synchronous part runs on the thread that read its request, so the handler below names the server side's
/// reading thread.
/// </summary>
[Collection(CountsReaderThreads.Name)]
public sealed class AutomaticReaderThreadTests
{
    public static TheoryData<string> Transports => new() { "pipe", "tcp" };

    private const string ReaderThread = "IpcContracts reader";

    /// <summary>Answers with the name of the thread that runs it: the server connection's reading thread.</summary>
    private sealed class ThreadNamer : IClientCallback
    {
        public Task<string> TransformAsync(string text) => Task.FromResult(
            Thread.CurrentThread.IsThreadPoolThread ? "(pool thread)" : Thread.CurrentThread.Name ?? "(unnamed thread)");
    }

    private static Task<IpcServer> StartServerAsync(string transport, IpcOptions? options = null) =>
        IpcServer.StartAsync(Endpoints.For(transport), b => b.Handle<IClientCallback>(new ThreadNamer()), options);

    /// <summary>Connections of earlier tests give their threads back as they finish closing.</summary>
    private static async Task NoAutomaticReadersAsync()
    {
        var deadline = Environment.TickCount64 + 10_000;
        while (DedicatedReader.AutomaticInUse != 0)
        {
            if (Environment.TickCount64 > deadline)
                Assert.Fail($"{DedicatedReader.AutomaticInUse} connection(s) still hold an automatic reader thread 10 s after they should have closed.");
            await Task.Delay(10);
        }
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task By_default_a_connection_reads_on_a_thread_of_its_own_and_callers_resume_off_it(string transport)
    {
        if (!OperatingSystem.IsLinux()) return; // Linux only; elsewhere every connection reads on the thread pool
        await NoAutomaticReadersAsync();
        await using (var server = await StartServerAsync(transport))
        await using (var client = await IpcClient.ConnectAsync(server.Endpoint.ToString()))
        {
            var proxy = client.Proxy<IClientCallback>();
            Assert.Equal(ReaderThread, await proxy.TransformAsync("")); // the server's side
            Assert.Equal(2, DedicatedReader.AutomaticInUse); // and the client's

            // Callers keep the default rule of socket transports: the code after an await never runs on the reader thread
            // (a caller blocking there on another call of the same connection would wait for itself).
            for (var i = 0; i < 50; i++)
            {
                var resumedOn = await Task.Run(async () =>
                {
                    await proxy.TransformAsync("").ConfigureAwait(false);
                    return Thread.CurrentThread.Name;
                });
                Assert.NotEqual(ReaderThread, resumedOn);
            }
            // And blocking there on another call of the same connection works.
            var blocked = await Task.Run(async () =>
            {
                await proxy.TransformAsync("").ConfigureAwait(false);
                return proxy.TransformAsync("").GetAwaiter().GetResult();
            }).WaitAsync(TimeSpan.FromSeconds(20));
            Assert.Equal(ReaderThread, blocked);
        }
        await NoAutomaticReadersAsync();
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Past_the_limit_connections_read_on_the_thread_pool_and_a_thread_given_back_goes_to_the_next(string transport)
    {
        if (!OperatingSystem.IsLinux()) return;
        await NoAutomaticReadersAsync();
        await using var server = await StartServerAsync(transport);
        var clients = new List<IpcClient>();
        try
        {
            // Each client takes up to two: its own connection's (taken before it connects) and the server side's.
            var answers = new List<string>();
            while (clients.Count < DedicatedReader.AutomaticLimit / 2 + 2)
            {
                var client = await IpcClient.ConnectAsync(server.Endpoint.ToString());
                clients.Add(client);
                answers.Add(await client.Proxy<IClientCallback>().TransformAsync(""));
            }
            Assert.Equal(DedicatedReader.AutomaticLimit, DedicatedReader.AutomaticInUse);
            Assert.Equal(ReaderThread, answers[0]);
            Assert.Equal("(pool thread)", answers[^1]); // past the limit: read on the pool, and every call still answered

            // The first client's two threads go back when it and its server side close; the next connection takes them.
            await clients[0].DisposeAsync();
            clients.RemoveAt(0);
            await Eventually.TrueAsync(() => DedicatedReader.AutomaticInUse == DedicatedReader.AutomaticLimit - 2);
            var next = await IpcClient.ConnectAsync(server.Endpoint.ToString());
            clients.Add(next);
            Assert.Equal(ReaderThread, await next.Proxy<IClientCallback>().TransformAsync(""));
            Assert.Equal(DedicatedReader.AutomaticLimit, DedicatedReader.AutomaticInUse);
        }
        finally
        {
            foreach (var client in clients) await client.DisposeAsync();
        }
        await server.DisposeAsync();
        await NoAutomaticReadersAsync();
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task With_the_option_false_a_connection_reads_on_the_thread_pool(string transport)
    {
        if (!OperatingSystem.IsLinux()) return;
        await NoAutomaticReadersAsync();
        var options = new IpcOptions { DedicatedReaderThread = false };
        await using var server = await StartServerAsync(transport, options);
        await using var client = await IpcClient.ConnectAsync(server.Endpoint.ToString(), options: options);
        Assert.Equal("(pool thread)", await client.Proxy<IClientCallback>().TransformAsync(""));
        Assert.Equal(0, DedicatedReader.AutomaticInUse);
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task A_failed_connect_gives_its_thread_back(string transport)
    {
        if (!OperatingSystem.IsLinux()) return;
        await NoAutomaticReadersAsync();
        string endpoint;
        await using (var server = await StartServerAsync(transport)) endpoint = server.Endpoint.ToString();
        await NoAutomaticReadersAsync();
        for (var i = 0; i < DedicatedReader.AutomaticLimit + 1; i++)
            await Assert.ThrowsAsync<NoServerListeningException>(() => IpcClient.ConnectAsync(endpoint, options: new IpcOptions { Reconnect = { Enabled = false } }));
        Assert.Equal(0, DedicatedReader.AutomaticInUse);
    }

    /// <summary>
    /// Regression: a server connection whose client left while the server was still sending had frames buffered when it
    /// was disposed; their write failed on the shut-down socket, and the disposal ended there, before the socket was
    /// disposed and the reader thread given back (the full test run leaked all four automatic threads this way).
    /// </summary>
    [Theory]
    [MemberData(nameof(Transports))]
    public async Task A_connection_whose_peer_leaves_while_it_is_sending_gives_its_thread_back(string transport)
    {
        if (!OperatingSystem.IsLinux()) return;
        await NoAutomaticReadersAsync();
        await using var server = await IpcServer.StartAsync(Endpoints.For(transport), b => b.Handle<IClientCallback>(new ThreadNamer()));
        var disconnected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        server.ClientDisconnected += (_, _) => disconnected.TrySetResult();
        var client = await IpcClient.ConnectAsync(server.Endpoint.ToString());
        var collector = new TickCollector(int.MaxValue);
        using (await client.SubscribeAsync<ITicks>(collector))
        {
            var flood = TickFlood.Start(server.Publisher<ITicks>());
            await Eventually.TrueAsync(() => collector.Count > 1000, 20_000);
            Assert.Equal(2, DedicatedReader.AutomaticInUse);

            await client.DisposeAsync();
            await disconnected.Task.WaitAsync(TimeSpan.FromSeconds(20));
            await flood.StopAsync();
        }
        await NoAutomaticReadersAsync(); // the server is still up: its connection to the client that left gave its thread back
    }

    /// <summary>
    /// Regression: a connection with its own reader thread sent through asynchronous socket operations, and the first send
    /// that found the socket's buffer full registered the socket with the sockets' event thread for good: from then on
    /// every frame received also woke that thread, which queued a thread-pool work item for nothing (the benchmark's
    /// server took 106-120 µs of CPU per round trip instead of 22-34). With readers on both sides and callers resumed on
    /// them, a round trip needs no work item at all, before a large transfer and after it. Counted, not timed; runs alone
    /// (the count is the process's).
    /// </summary>
    [Theory]
    [MemberData(nameof(Transports))]
    public async Task After_a_transfer_that_fills_the_send_buffers_round_trips_still_wake_no_pool_thread(string transport)
    {
        if (!OperatingSystem.IsLinux()) return;
        await NoAutomaticReadersAsync();
        var options = new IpcOptions { DedicatedReaderThread = true };
        await using var server = await IpcServer.StartAsync(Endpoints.For(transport), b => b.Handle<IBlobs>(new BlobService()).Handle<ICalculator>(new Calculator()), options);
        await using var client = await IpcClient.ConnectAsync(server.Endpoint.ToString(), options: options);
        var calc = client.Proxy<ICalculator>();
        var data = new byte[24 * 1024 * 1024];

        var before = await WorkItemsPerCallAsync(calc);
        Assert.Equal(data.Length, (await client.Proxy<IBlobs>().EchoMemoryAsync(data)).Length); // both sides' sends wait for room
        var after = await WorkItemsPerCallAsync(calc);

        Assert.True(before < 0.1, $"{before:0.###} thread-pool work items per round trip before the transfer");
        Assert.True(after < 0.1, $"{after:0.###} thread-pool work items per round trip after the transfer (before it: {before:0.###})");
    }

    /// <summary>
    /// Regression: tcp://'s shared-secret handshake waited through asynchronous socket operations before the connection's
    /// reader thread took over, which registered the socket with the sockets' event thread for good, so every frame
    /// received afterwards also woke that thread and a pool worker. Round trips between two reader threads must wake no
    /// pool thread with a shared secret as without one. Counted, not timed; runs alone (the count is the process's).
    /// </summary>
    [Fact]
    public async Task With_a_shared_secret_round_trips_between_two_reader_threads_wake_no_pool_thread()
    {
        if (!OperatingSystem.IsLinux()) return;
        await NoAutomaticReadersAsync();
        var options = new IpcOptions { DedicatedReaderThread = true, Tcp = { SharedSecret = "a secret both sides know"u8.ToArray() } };
        await using var server = await IpcServer.StartAsync(Endpoints.For("tcp"), b => b.Handle<ICalculator>(new Calculator()), options);
        await using var client = await IpcClient.ConnectAsync(server.Endpoint.ToString(), options: options);

        var workItems = await WorkItemsPerCallAsync(client.Proxy<ICalculator>());

        Assert.True(workItems < 0.1, $"{workItems:0.###} thread-pool work items per round trip");
    }

    /// <summary>Work items the thread pool completed per call over 2,000 calls made from a reader thread (where the awaits resume).</summary>
    private static async Task<double> WorkItemsPerCallAsync(ICalculator calc)
    {
        const int Calls = 2000;
        await calc.GetAnswerAsync().ConfigureAwait(false); // from here on this method runs on the client's reader thread
        var start = ThreadPool.CompletedWorkItemCount;
        for (var i = 0; i < Calls; i++) await calc.AddAsync(i, 1).ConfigureAwait(false);
        return (double)(ThreadPool.CompletedWorkItemCount - start) / Calls;
    }
}
