// The client (and its server) of the harness's "process start to first answered request" rows, docs/benchmarks.md.
//   ENDPOINT          connect to ENDPOINT (pipe://NAME, tcp://HOST:PORT, shm://NAME), make one IFirstCallEcho request,
//                     check the answer, print "ANSWER <CPU microseconds so far> <methods JIT-compiled so far>" and exit 0
//   serve ENDPOINT    answer IFirstCallEcho on ENDPOINT; print "READY <endpoint>", then run until "quit" or the end of
//                     standard input (the harness's child protocol, benchmarks/IpcContracts.Benchmarks/Processes/Child.cs)
//   loop ENDPOINT N   server and client in this process: N IFirstCallEcho round trips over ENDPOINT, then exit; for counting
//                     instructions per round trip under valgrind --tool=callgrind (docs/benchmarks.md, "Instructions per
//                     round trip"), where the difference of two runs with different N is the cost of the extra calls
//   events ENDPOINT N the same for N IFirstCallEvents.Tick events, client to server, then one round trip that returns
//                     once the server has counted them all
//   items ENDPOINT N  the same for one IFirstCallItems stream of N items, server to client
// Published as Native AOT by the harness; the same program runs JIT from its build output for the reference row.
using IpcContracts;
using IpcContracts.Benchmarks.FirstCall;

return args switch
{
    ["serve", var endpoint] => await ServeAsync(endpoint),
    ["loop", var endpoint, var n] when int.TryParse(n, out var calls) && calls >= 0 => await LoopAsync(endpoint, calls),
    ["events", var endpoint, var n] when int.TryParse(n, out var events) && events >= 0 => await EventsAsync(endpoint, events),
    ["items", var endpoint, var n] when int.TryParse(n, out var items) && items >= 0 => await ItemsAsync(endpoint, items),
    [var endpoint] when !endpoint.StartsWith('-') => await CallAsync(endpoint),
    _ => Usage(),
};

static async Task<int> CallAsync(string endpoint)
{
    await using var client = await IpcClient.ConnectAsync(endpoint);
    var echo = client.Proxy<IFirstCallEcho>();
    var request = new FirstCallPayload(new string('x', 64));
    var answer = await echo.EchoAsync(request);
    if (answer.Data != request.Data)
    {
        Console.Error.WriteLine($"error: the answer carried {answer.Data.Length} characters, not the {request.Data.Length} sent");
        return 1;
    }
    // The process's own CPU time up to the answer (runtime start-up included): steadier than wall time on a busy machine.
    Console.WriteLine(FormattableString.Invariant($"ANSWER {Environment.CpuUsage.TotalTime.TotalMicroseconds:0} {System.Runtime.JitInfo.GetCompiledMethodCount()}"));
    return 0;
}

static async Task<int> ServeAsync(string endpoint)
{
    await using var server = await IpcServer.StartAsync(endpoint, s => s.Handle<IFirstCallEcho>(new EchoService()));
    Console.WriteLine($"READY {server.Endpoint}");
    while (Console.ReadLine() is { } line && line != "quit")
    {
    }
    return 0;
}

static async Task<int> LoopAsync(string endpoint, int calls)
{
    await using var server = await IpcServer.StartAsync(endpoint, s => s.Handle<IFirstCallEcho>(new EchoService()));
    await using var client = await IpcClient.ConnectAsync(server.Endpoint.ToString());
    var echo = client.Proxy<IFirstCallEcho>();
    var request = new FirstCallPayload(new string('x', 64));
    for (var i = 0; i < calls; i++)
    {
        var answer = await echo.EchoAsync(request);
        if (answer.Data != request.Data) return 1;
    }
    Console.WriteLine($"LOOPED {calls}");
    return 0;
}

static async Task<int> EventsAsync(string endpoint, int events)
{
    var counter = new EventCounter(events);
    await using var server = await IpcServer.StartAsync(endpoint, s => s.Handle<IFirstCallEcho>(new EchoService()));
    server.Subscribe<IFirstCallEvents>(counter);
    await using var client = await IpcClient.ConnectAsync(server.Endpoint.ToString());
    var echo = client.Proxy<IFirstCallEcho>();
    var publisher = client.Publisher<IFirstCallEvents>();
    var payload = new FirstCallPayload(new string('x', 64));
    await echo.EchoAsync(payload); // the connection is up and the server's subscription known before the first event
    for (var i = 0; i < events; i++) publisher.Tick(payload);
    var counted = await counter.AllCounted.WaitAsync(TimeSpan.FromMinutes(5));
    Console.WriteLine($"COUNTED {counted}");
    return counted == events ? 0 : 1;
}

static async Task<int> ItemsAsync(string endpoint, int items)
{
    await using var server = await IpcServer.StartAsync(endpoint, s => s.Handle<IFirstCallEcho>(new EchoService()).Handle<IFirstCallItems>(new ItemsService()));
    await using var client = await IpcClient.ConnectAsync(server.Endpoint.ToString());
    var payload = new FirstCallPayload(new string('x', 64));
    await client.Proxy<IFirstCallEcho>().EchoAsync(payload); // the connection is up before the stream starts
    var received = 0;
    await foreach (var item in client.Proxy<IFirstCallItems>().ItemsAsync(items))
    {
        if (item.Data.Length != payload.Data.Length) return 1;
        received++;
    }
    Console.WriteLine($"RECEIVED {received}");
    return received == items ? 0 : 1;
}

static int Usage()
{
    Console.Error.WriteLine("usage: IpcContracts.Benchmarks.FirstCall ENDPOINT | serve ENDPOINT | loop ENDPOINT N | events ENDPOINT N | items ENDPOINT N");
    return 2;
}

/// <summary>The server's subscriber in the "events" mode: counts events and completes once all have arrived.</summary>
internal sealed class EventCounter(int expected) : IFirstCallEvents
{
    private readonly TaskCompletionSource<int> _all = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _count;

    public Task<int> AllCounted => expected == 0 ? Task.FromResult(0) : _all.Task;

    // Events of one subscription arrive one at a time, in order (docs/semantics.md, "Events").
    public void Tick(FirstCallPayload payload)
    {
        if (++_count == expected) _all.TrySetResult(_count);
    }
}
