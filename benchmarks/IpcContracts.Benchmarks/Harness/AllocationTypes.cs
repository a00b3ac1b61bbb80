using System.Collections.Concurrent;
using System.Diagnostics.Tracing;
using System.Globalization;

namespace IpcContracts.Benchmarks.Harness;

/// <summary>
/// <c>alloc-types [pipe|tcp|shm|inproc|nats] [--rounds N] [--kind task|value|event|flood]</c>: which types the bytes of a call are,
/// client and server in this process. The runtime's GC AllocationTick event names the type of the object that crossed
/// each ~100 KB of allocation (any thread), so over many calls the sampled bytes per type are proportional to what each
/// type costs per call; the payload objects (<see cref="Payload"/>, its string; System.Text.Json's argument state where it reads) show
/// up as such, and anything else is what a round trip allocates beyond them. Finds an allocation; the exact count per
/// call is what <c>alloc</c> gives.
/// <c>nats</c> uses the broker at IPC_NATS_URL.
/// </summary>
internal static class AllocationTypes
{
    public static int Run(string[] args)
    {
        var transport = "pipe";
        var rounds = 400_000;
        var kind = "value";
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--rounds" when i + 1 < args.Length: rounds = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--kind" when i + 1 < args.Length: kind = args[++i]; break;
                default: transport = args[i]; break;
            }
        }
        if (transport is "raw-unix" or "raw-tcp") return RawPingPong(transport[4..], rounds);
        var endpoint = $"{transport}://ipcalloctypes-{Environment.ProcessId}";
        if (transport == "tcp") endpoint = "tcp://127.0.0.1:0";
        if (transport == "nats")
        {
            // Client and server in this process, each with its own connection to the broker (IPC_NATS_URL).
            if (Environment.GetEnvironmentVariable("IPC_NATS_URL") is not { Length: > 0 } url)
            {
                Console.Error.WriteLine("alloc-types nats needs IPC_NATS_URL");
                return 1;
            }
            IpcContracts.Nats.NatsTransport.Register();
            endpoint = $"{url.TrimEnd('/')}/ipcalloctypes{Environment.ProcessId}";
        }
        Timing.Await(async () =>
        {
            var service = new BenchService();
            await using var server = await IpcServer.StartAsync(endpoint, b =>
            {
                b.Handle<IEcho>(service);
                b.Handle<IValueEcho>(new ValueEchoService());
            }).ConfigureAwait(false);
            server.Subscribe<IBenchEvents>(service);
            await using var client = await IpcClient.ConnectAsync(server.Endpoint.ToString(),
                options: new IpcOptions { DefaultCallTimeout = TimeSpan.FromMinutes(5) }).ConfigureAwait(false);
            var echo = client.Proxy<IEcho>();
            var valueEcho = client.Proxy<IValueEcho>();
            var events = client.Publisher<IBenchEvents>();
            while (!client.Connection.PeerSubscribed(new(false, Runtime.ContractRegistry.Get<IBenchEvents>().Id))) await Task.Delay(1).ConfigureAwait(false);
            var payload = new Payload(new string('x', HarnessConfig.EventSize));
            long sent = 0;
            async Task RunAsync(int n)
            {
                switch (kind)
                {
                    case "task":
                        for (var i = 0; i < n; i++) await echo.EchoAsync(payload).ConfigureAwait(false);
                        break;
                    case "flood":
                        // As the harness's row 3 and `counts --only events`: bursts of 200,000 back to back, the
                        // subscriber confirming each burst's last event (a deep backlog on its side); the warm-up's
                        // bursts are 20,000, as theirs are.
                        var burst = Math.Min(n, 200_000);
                        for (var done = 0; done < n; done += burst)
                        {
                            for (var i = 0; i < burst; i++) events.Tick(payload);
                            sent += burst;
                            await echo.WaitForEventsAsync(sent).ConfigureAwait(false);
                        }
                        break;
                    case "event":
                        for (var done = 0; done < n; done += 100)
                        {
                            for (var i = 0; i < 100; i++) events.Tick(payload);
                            sent += 100;
                            await echo.WaitForEventsAsync(sent).ConfigureAwait(false);
                        }
                        break;
                    default:
                        for (var i = 0; i < n; i++) await valueEcho.EchoAsync(payload).ConfigureAwait(false);
                        break;
                }
            }

            await RunAsync(Math.Min(rounds, 20_000)).ConfigureAwait(false); // warm: pools filled, methods tiered
            using var listener = new TickListener();
            var before = GC.GetTotalAllocatedBytes(precise: true);
            await RunAsync(rounds).ConfigureAwait(false);
            var total = GC.GetTotalAllocatedBytes(precise: true) - before;
            listener.Stop();
            Console.WriteLine($"{transport}:// {kind}: {rounds} operations, {total / (double)rounds:0.0} B per operation (whole process)");
            var sampled = listener.Bytes.Values.Sum();
            Console.WriteLine("| type | share of sampled bytes | ≈ B per operation |");
            Console.WriteLine("|---|---:|---:|");
            foreach (var (type, bytes) in listener.Bytes.OrderByDescending(p => p.Value))
                Console.WriteLine($"| {type} | {bytes / (double)sampled:P1} | {total * (bytes / (double)sampled) / rounds:0.0} |");
        });
        return 0;
    }

    /// <summary>
    /// The raw async socket ping-pong of the harness's baseline rows, both ends in this process: for instruction counts
    /// (<c>perf stat</c>) of the same number of round trips as ours, which is what the CPU rows compare.
    /// </summary>
    private static int RawPingPong(string kind, int rounds)
    {
        var path = Raw.RawSockets.UnixPath("alloctypes");
        using var listener = kind == "unix" ? Raw.RawSockets.ListenUnix(path) : Raw.RawSockets.ListenTcp();
        var address = kind == "unix" ? path : listener.LocalEndPoint!.ToString()!;
        var accept = listener.AcceptAsync();
        using var client = Raw.RawSockets.Connect(kind, address);
        using var server = accept.GetAwaiter().GetResult();
        if (kind == "tcp") server.NoDelay = true;
        var echo = Task.Run(async () =>
        {
            var b = new byte[64];
            try
            {
                while (true)
                {
                    await Raw.RawSockets.ReceiveExactlyAsync(server, b).ConfigureAwait(false);
                    await Raw.RawSockets.SendAllAsync(server, b).ConfigureAwait(false);
                }
            }
            catch (Exception e) when (e is System.Net.Sockets.SocketException or EndOfStreamException or ObjectDisposedException)
            {
                // the client closed
            }
        });
        var buffer = new byte[64];
        Timing.Await(async () =>
        {
            for (var i = 0; i < Math.Min(rounds, 20_000) + rounds; i++)
            {
                await Raw.RawSockets.SendAllAsync(client, buffer).ConfigureAwait(false);
                await Raw.RawSockets.ReceiveExactlyAsync(client, buffer).ConfigureAwait(false);
            }
        });
        client.Shutdown(System.Net.Sockets.SocketShutdown.Both);
        echo.Wait(TimeSpan.FromSeconds(5));
        if (kind == "unix") File.Delete(path);
        Console.WriteLine($"raw-{kind}: {rounds} round trips after as many warm");
        return 0;
    }

    private sealed class TickListener : EventListener
    {
        private volatile bool _on = true;
        public ConcurrentDictionary<string, long> Bytes { get; } = new();

        public void Stop() => _on = false;

        protected override void OnEventSourceCreated(EventSource source)
        {
            if (source.Name == "Microsoft-Windows-DotNETRuntime") EnableEvents(source, EventLevel.Verbose, (EventKeywords)0x1); // GC keyword
        }

        protected override void OnEventWritten(EventWrittenEventArgs e)
        {
            if (!_on || e.EventName is null || !e.EventName.StartsWith("GCAllocationTick", StringComparison.Ordinal) || e.PayloadNames is null) return;
            var type = "?";
            long amount = 0;
            for (var i = 0; i < e.PayloadNames.Count; i++)
            {
                switch (e.PayloadNames[i])
                {
                    case "TypeName": type = e.Payload![i] as string ?? "?"; break;
                    case "AllocationAmount64": amount = Convert.ToInt64(e.Payload![i], CultureInfo.InvariantCulture); break;
                    case "AllocationAmount" when amount == 0: amount = Convert.ToInt64(e.Payload![i], CultureInfo.InvariantCulture); break;
                }
            }
            Bytes.AddOrUpdate(type, amount, (_, v) => v + amount);
        }
    }
}
