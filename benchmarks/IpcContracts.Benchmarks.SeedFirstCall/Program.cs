// The seed-000 design's first call, run JIT, for the harness's "process start to first answered request" rows.
//   PIPE          a seed client: start the seed's named-pipe transport (its own request and reply pipes), make one
//                 RequestAsync<SeedPayload, SeedPayload> to the server on pipe PIPE, check the answer, print
//                 "ANSWER <CPU microseconds so far> <methods JIT-compiled so far>" and exit 0
//   serve PIPE    a seed server: answer SeedPayload requests on pipe PIPE through the reflection dispatcher; print
//                 "READY PIPE", then run until "quit" or the end of standard input (the harness's child protocol)
using IpcContracts.Benchmarks.ReflectionBaseline;
using IpcContracts.Benchmarks.SeedFirstCall;

return args switch
{
    ["serve", var pipe] => await ServeAsync(pipe),
    [var pipe] when !pipe.StartsWith('-') => await CallAsync(pipe),
    _ => Usage(),
};

static async Task<int> CallAsync(string serverPipe)
{
    // Pipe names of this process, unique per run: the seed's client listens for requests and for replies.
    var me = $"{serverPipe}-client{Environment.ProcessId}";
    var aggregator = new SeedAggregator();
    await using var transport = new SeedPipeTransport(incomingPipeName: me + "-in", outgoingPipeName: serverPipe, replyPipeName: me + "-replies");
    await aggregator.UseTransportAsync(transport);
    var request = new SeedPayload(new string('x', 64));
    var answer = await aggregator.RequestAsync<SeedPayload, SeedPayload>(request, TimeSpan.FromSeconds(30));
    if (answer.Data != request.Data)
    {
        Console.Error.WriteLine($"error: the answer carried {answer.Data?.Length ?? 0} characters, not the {request.Data.Length} sent");
        return 1;
    }
    Console.WriteLine(FormattableString.Invariant($"ANSWER {Environment.CpuUsage.TotalTime.TotalMicroseconds:0} {System.Runtime.JitInfo.GetCompiledMethodCount()}"));
    return 0;
}

static async Task<int> ServeAsync(string pipe)
{
    var aggregator = new SeedAggregator();
    // The seed holds handlers by weak reference: this local keeps the delegate alive for the server's lifetime.
    Func<SeedPayload, Task<SeedPayload>> echo = payload => Task.FromResult(payload);
    aggregator.Dispatcher.SubscribeRequest(echo);
    await using var transport = new SeedPipeTransport(incomingPipeName: pipe, outgoingPipeName: pipe + "-unused", replyPipeName: pipe + "-replies");
    await aggregator.UseTransportAsync(transport);
    Console.WriteLine($"READY {pipe}");
    while (Console.ReadLine() is { } line && line != "quit")
    {
    }
    GC.KeepAlive(echo);
    return 0;
}

static int Usage()
{
    Console.Error.WriteLine("usage: IpcContracts.Benchmarks.SeedFirstCall PIPE | serve PIPE");
    return 2;
}
