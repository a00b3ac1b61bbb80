using IpcContracts;
using IpcContracts.TestContracts;

/// <summary>Client-side scenarios run in the second process; each prints OK lines the test asserts on.</summary>
internal static class ClientScenarios
{
    public static async Task<int> RunAsync(string endpoint, string scenario)
    {
        // Cross-user tests run this client as another user against a root server.
        var options = HostOptions.Create();
        options.AllowAnyLocalUser = Environment.GetEnvironmentVariable("IPC_ALLOW_ANY_USER") == "1";
        await using var client = await IpcClient.ConnectAsync(endpoint, b => b.Handle<IClientCallback>(new UpperCaser()), options);
        var calc = client.Proxy<ICalculator>();
        switch (scenario)
        {
            case "basic":
                Console.WriteLine($"OK answer {await calc.GetAnswerAsync()}");
                Console.WriteLine($"OK add {await calc.AddAsync(2, 3)}");
                Console.WriteLine($"OK sum {(await calc.SumAsync([1, 2, 3], "abc", true)).Sum}");
                Console.WriteLine($"OK callback {await calc.CallBackAsync("hello")}");
                try
                {
                    await calc.ThrowAsync("boom");
                }
                catch (RemoteInvocationException e)
                {
                    Console.WriteLine($"OK remote {e.RemoteType} {e.RemoteMessage}");
                }
                return 0;
            case "events":
            {
                var received = new List<Tick>();
                var done = new TaskCompletionSource();
                using var sub = client.Subscribe<ITicks>(new TickCollector(received, 100, done));
                await calc.PublishTicksAsync("host", 100);
                await done.Task.WaitAsync(TimeSpan.FromSeconds(10));
                var inOrder = received.Select(t => t.Sequence).SequenceEqual(Enumerable.Range(1, 100));
                Console.WriteLine(inOrder ? $"OK events {received.Count}" : "FAIL events out of order");
                return inOrder ? 0 : 1;
            }
            case "big":
            {
                var payload = Patterns.Bytes(24 * 1024 * 1024, 7);
                var echoed = await calc.EchoBytesAsync(payload);
                var same = echoed.AsSpan().SequenceEqual(payload);
                Console.WriteLine(same ? $"OK big {echoed.Length}" : "FAIL big mismatch");
                return same ? 0 : 1;
            }
            case "listen":
            {
                // Subscribes and counts events until the test kills this process mid-stream.
                var count = 0;
                using var sub = client.Subscribe<ITicks>(new CountingTicks(() =>
                {
                    if (Interlocked.Increment(ref count) == 100) Console.WriteLine("OK receiving events");
                }));
                Console.WriteLine("OK subscribed");
                await Task.Delay(Timeout.Infinite);
                return 1;
            }
            case "bigloop":
            {
                // Streams 24 MB requests until the test kills this process mid-transfer.
                var payload = Patterns.Bytes(24 * 1024 * 1024, 5);
                for (var i = 0; ; i++)
                {
                    await calc.SizeOfAsync(payload);
                    if (i == 0) Console.WriteLine("OK first big request done");
                }
            }
            case "stream":
            {
                // A stream result from the other process: in order, and breaking out cancels the producer there.
                var items = new List<int>();
                await foreach (var i in client.Proxy<IStreams>().RangeAsync(1, 5000)) items.Add(i);
                Console.WriteLine(items.SequenceEqual(Enumerable.Range(1, 5000)) ? $"OK stream {items.Count}" : "FAIL stream out of order");
                return 0;
            }
            case var gib when gib.StartsWith("gib:", StringComparison.Ordinal):
            {
                // Consumes COUNT chunks of 64 KiB (16384 = 1 GiB) slower than the producer makes them, sampling this
                // process's working set: the credit window must bound what piles up on either side.
                var count = int.Parse(gib["gib:".Length..], System.Globalization.CultureInfo.InvariantCulture);
                var streams = client.Proxy<IStreams>();
                await foreach (var _ in streams.ChunksAsync("warm-" + Environment.ProcessId, 64, 64 * 1024)) { } // JIT and pools first
                GC.Collect();
                using var workingSet = new WorkingSetSampler();
                var next = 0;
                await foreach (var chunk in streams.ChunksAsync("gib-" + Environment.ProcessId, count, 64 * 1024))
                {
                    if (chunk.Index != next || chunk.Data.Length != 64 * 1024 || chunk.Data[0] != (byte)next)
                    {
                        Console.WriteLine($"FAIL gib item {chunk.Index} where {next} was due");
                        return 1;
                    }
                    next++;
                    if (next % 16 == 0) await Task.Delay(1); // slower than the producer
                }
                Console.WriteLine($"OK gib items={next} baseline={workingSet.Baseline} max={workingSet.Max}");
                return 0;
            }
            case var gib when gib.StartsWith("gibbytes:", StringComparison.Ordinal):
            {
                // Reads MIB mebibytes (1024 = 1 GiB) from a Stream result slower than the producer makes them, sampling this
                // process's working set: the credit window must bound what piles up on either side.
                var length = long.Parse(gib["gibbytes:".Length..], System.Globalization.CultureInfo.InvariantCulture) * 1024 * 1024;
                var blobs = client.Proxy<IBlobs>();
                await using (var warm = await blobs.DownloadAsync("warm-" + Environment.ProcessId, 4 * 1024 * 1024)) // JIT and pools first
                    await warm.CopyToAsync(Stream.Null);
                GC.Collect();
                using var workingSet = new WorkingSetSampler();
                var buffer = new byte[64 * 1024];
                var hash = Patterns.ChecksumSeed;
                long total = 0, reads = 0;
                await using (var stream = await blobs.DownloadAsync("gib-" + Environment.ProcessId, length))
                {
                    int read;
                    while ((read = await stream.ReadAsync(buffer)) > 0)
                    {
                        hash = Patterns.Checksum(buffer.AsSpan(0, read), hash);
                        total += read;
                        if (++reads % 16 == 0) await Task.Delay(1); // slower than the producer
                    }
                }
                var intact = total == length && hash == Patterns.PatternChecksum(length);
                Console.WriteLine(intact
                    ? $"OK gibbytes bytes={total} baseline={workingSet.Baseline} max={workingSet.Max}"
                    : $"FAIL gibbytes read {total} of {length} bytes, checksum {(hash == Patterns.PatternChecksum(total) ? "matches" : "differs")}");
                return intact ? 0 : 1;
            }
            case var ticks when ticks.StartsWith("ticks:", StringComparison.Ordinal):
            {
                // Subscribes and waits for the test to publish COUNT ticks (from any process), then checks their order.
                var expected = int.Parse(ticks["ticks:".Length..], System.Globalization.CultureInfo.InvariantCulture);
                var received = new List<Tick>();
                var done = new TaskCompletionSource();
                // SubscribeAsync completes once the peer (on NATS: the broker) has the subscription, so from here on every
                // event published is delivered.
                using var sub = await client.SubscribeAsync<ITicks>(new TickCollector(received, expected, done));
                Console.WriteLine("OK subscribed");
                await done.Task.WaitAsync(TimeSpan.FromSeconds(60));
                var inOrder = received.Select(t => t.Sequence).SequenceEqual(Enumerable.Range(1, expected));
                Console.WriteLine(inOrder ? $"OK events {received.Count}" : "FAIL events out of order");
                return inOrder ? 0 : 1;
            }
            case "durable-listen":
            {
                // Prints every tick as it is handled ("TICK n C": C counts the connections it arrived on, 0 the first), until
                // the test closes stdin (a clean stop) or kills us.
                var connections = new List<IpcConnection>();
                using var sub = client.Subscribe<ITicks>(new CountingTicks(tick =>
                {
                    var connection = IpcCallContext.Connection!;
                    if (!connections.Contains(connection)) connections.Add(connection);
                    Console.WriteLine($"TICK {tick.Sequence} {connections.IndexOf(connection)}");
                }));
                await client.Connection.PingAsync(); // on NATS: the durable consumer exists from here on
                Console.WriteLine("OK subscribed");
                while (Console.ReadLine() is { } line && line != "quit") { }
                Console.WriteLine("OK stopped");
                return 0;
            }
            case var publish when publish.StartsWith("durable-publish:", StringComparison.Ordinal):
                return await DurablePublishAsync(client, publish);
            case "goodbye":
                // One call, then the client is disposed on the way out (await using): the server sees a Goodbye.
                Console.WriteLine($"OK answer {await calc.GetAnswerAsync()}");
                return 0;
            case "exit-without-dispose":
                // One call, then the process ends without disposing its client: no Goodbye, like a crash.
                Console.WriteLine($"OK answer {await calc.GetAnswerAsync()}");
                Console.Out.Flush();
                Environment.Exit(0);
                return 0;
            case var hang when hang.StartsWith("hang:", StringComparison.Ordinal):
                // Blocks in the server's handler (probe name after the colon) until the test kills this process.
                Console.WriteLine("OK calling");
                await calc.WaitUntilCancelledAsync(hang["hang:".Length..], CancellationToken.None);
                return 1;
            default:
                Console.Error.WriteLine($"unknown scenario {scenario}");
                return 2;
        }
    }

    /// <summary>
    /// "durable-publish:FROM:TO": publishes ticks FROM..TO in batches of 100, each confirmed by a Ping (on NATS with durable
    /// ticks: stored by the broker), printing "CONFIRMED n". When the connection is lost it waits for the reconnection and
    /// publishes again from the first unconfirmed tick ("REPUBLISH a-b": those may be stored twice).
    /// </summary>
    private static async Task<int> DurablePublishAsync(IpcClient client, string scenario)
    {
        var range = scenario["durable-publish:".Length..].Split(':');
        var from = int.Parse(range[0], System.Globalization.CultureInfo.InvariantCulture);
        var to = int.Parse(range[1], System.Globalization.CultureInfo.InvariantCulture);
        var ticks = client.Publisher<ITicks>();
        var confirmed = from - 1;
        var attempted = confirmed;
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (confirmed < to)
        {
            if (DateTime.UtcNow > deadline)
            {
                Console.WriteLine($"FAIL gave up at {confirmed}");
                return 1;
            }
            var last = Math.Min(confirmed + 100, to);
            try
            {
                if (attempted > confirmed) Console.WriteLine($"REPUBLISH {confirmed + 1}-{attempted}");
                for (var i = confirmed + 1; i <= last; i++) ticks.Tick(new Tick(i, "durable"));
                attempted = Math.Max(attempted, last);
                await client.Connection.PingAsync();
                confirmed = last;
                Console.WriteLine($"CONFIRMED {confirmed}");
            }
            catch (Exception e) when (e is ChannelFaultedException or TimeoutException)
            {
                attempted = Math.Max(attempted, last);
                await Task.Delay(50); // the client reconnects by itself; try again on the next connection
            }
        }
        Console.WriteLine($"OK published {to}");
        return 0;
    }

    private sealed class CountingTicks(Action<Tick> onTick) : ITicks
    {
        public CountingTicks(Action onTick) : this(_ => onTick()) { }

        public void Tick(Tick tick) => onTick(tick);

        public Task Reset(string reason) => Task.CompletedTask;
    }

    private sealed class UpperCaser : IClientCallback
    {
        public Task<string> TransformAsync(string text) => Task.FromResult(text.ToUpperInvariant());
    }

    private sealed class TickCollector(List<Tick> received, int expected, TaskCompletionSource done) : ITicks
    {
        public void Tick(Tick tick)
        {
            received.Add(tick);
            if (received.Count == expected) done.TrySetResult();
        }

        public Task Reset(string reason) => Task.CompletedTask;
    }
}
