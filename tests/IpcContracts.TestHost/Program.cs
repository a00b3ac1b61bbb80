// A second process for cross-process tests. "server ENDPOINT" serves ICalculator until stdin closes (the line
// "count" prints how many calls it served, "ws" its working set at start and at most since); "client ENDPOINT SCENARIO" runs one scenario against a server and prints
// OK/FAIL lines; "aggregator ENDPOINT" runs EventAggregators (below). nats:// endpoints opt the NATS transport in, as an
// application would.
using IpcContracts;
using IpcContracts.Nats;
using IpcContracts.TestContracts;

if (args.Length < 2)
{
    Console.Error.WriteLine("usage: server ENDPOINT | client ENDPOINT SCENARIO");
    return 2;
}

var endpoint = args[1];
if (endpoint.StartsWith("nats://", StringComparison.OrdinalIgnoreCase)) NatsTransport.Register(NatsFromEnvironment());
switch (args[0])
{
    case "server":
    {
        IpcServer? server = null;
        var calculator = new CountingCalculator(new Calculator(() => server!.Publisher<ITicks>()));
        // The working set is sampled from the start, so "ws" reports the growth any test caused (streams' bounded memory).
        using var workingSet = new WorkingSetSampler();
        server = await IpcServer.StartAsync(endpoint, b => b
            .Handle<ICalculator>(calculator)
            .Handle<IStreams>(new StreamService())
            .Handle<IBlobs>(new BlobService())
            .Handle<IJobs>(new JobService())
            .Handle<IErrors>(new ErrorService())
            .HandleRaw("tools.echo", "Echo", call => ValueTask.FromResult<string?>(call.ArgumentsJson)), HostOptions.Create());
        Console.WriteLine($"READY {server.Endpoint}");
        // Runs until the test closes our stdin (or kills us).
        while (Console.ReadLine() is { } line && line != "quit")
        {
            if (line == "count") Console.WriteLine($"COUNT {calculator.Calls}");
            if (line == "ws") Console.WriteLine($"WS {workingSet.Baseline} {workingSet.Max}");
        }
        await server.DisposeAsync();
        return 0;
    }
    case "client":
        return await ClientScenarios.RunAsync(endpoint, args.Length > 2 ? args[2] : "basic");
    case "aggregator":
    {
        // Two aggregators: one listens and answers GetPrice (printing "GETPRICE sku"), one connects and prints "PRICE sku" for
        // each PriceChanged. Each has one registration, made before it starts, so it is in that aggregator's Hello: the
        // handler is served and the subscription is in place when READY is printed. "publish SKU" publishes a PriceChanged;
        // "handle-late" registers a second request handler after the start, "unhandle-late" removes it.
        await using var server = new EventAggregator(new IpcContractsOptions().Listen(endpoint));
        using var handler = server.SubscribeRequest<GetPrice, Price>((request, _) =>
        {
            Console.WriteLine($"GETPRICE {request.Sku}");
            return Task.FromResult(new Price(request.Sku, 7m));
        });
        await server.StartAsync();
        await using var listener = new EventAggregator(new IpcContractsOptions().Connect(endpoint));
        using var subscription = listener.Subscribe<PriceChanged>(m => Console.WriteLine($"PRICE {m.Sku}"));
        await listener.StartAsync();
        Console.WriteLine($"READY {endpoint}");
        IDisposable? lateHandler = null;
        while (Console.ReadLine() is { } line && line != "quit")
        {
            if (line.StartsWith("publish ", StringComparison.Ordinal)) await server.PublishAsync(new PriceChanged(line["publish ".Length..], 1m));
            // A request handler registered on the listening aggregator after it started (answers PriceChanged with Price 9,
            // printing "LATEPRICE sku").
            if (line == "handle-late")
            {
                lateHandler = server.SubscribeRequest<PriceChanged, Price>((request, _) =>
                {
                    Console.WriteLine($"LATEPRICE {request.Sku}");
                    return Task.FromResult(new Price(request.Sku, 9m));
                });
                Console.WriteLine("LATE HANDLER");
            }
            if (line == "unhandle-late")
            {
                lateHandler?.Dispose();
                Console.WriteLine("LATE HANDLER REMOVED");
            }
        }
        return 0;
    }
    default:
        Console.Error.WriteLine($"unknown role {args[0]}");
        return 2;
}

// IPC_NATS_DURABLE=NAME makes ITicks durable and consumes it under NAME; IPC_NATS_ACK_WAIT_MS shortens the redelivery wait.
static NatsTransportOptions NatsFromEnvironment()
{
    var options = new NatsTransportOptions();
    if (Environment.GetEnvironmentVariable("IPC_NATS_DURABLE") is { Length: > 0 } name)
    {
        options.DurableEvents.Add<ITicks>().ConsumerName = name;
        if (int.TryParse(Environment.GetEnvironmentVariable("IPC_NATS_ACK_WAIT_MS"), out var ms)) options.DurableEvents.AckWait = TimeSpan.FromMilliseconds(ms);
    }
    return options;
}
