// One host, compiled twice: against version 1 of the contracts (IpcContracts.Versioning.Host.V1, CONTRACTS_V1) and
// against version 2 (IpcContracts.Versioning.Host.V2, CONTRACTS_V2). tests/IpcContracts.Tests/CrossProcess/VersioningTests.cs
// starts one as a server and the other as a client, so every call crosses between two separately built versions.
//
//   server ENDPOINT   serves ICatalog and prints "READY endpoint"; runs until stdin closes.
//   client ENDPOINT   makes each call of this version once and prints one line per call: "label: result",
//                     "label: MISMATCH contract.method | message" for a ContractMismatchException, "label: ERROR ..." for
//                     anything else; then "DONE" and exits 0.
using IpcContracts;
using IpcContracts.Nats;
using Versioning;

#if CONTRACTS_V1
const string Version = "v1";
#else
const string Version = "v2";
#endif

if (args.Length < 2)
{
    Console.Error.WriteLine("usage: server ENDPOINT | client ENDPOINT");
    return 2;
}
var options = new IpcOptions { ProcessName = $"{Version}-{args[0]}" };
if (args[1].StartsWith("nats://", StringComparison.OrdinalIgnoreCase)) NatsTransport.Register();

if (args[0] == "server")
{
    IpcServer? server = null;
    server = await IpcServer.StartAsync(args[1], b => b.Handle<ICatalog>(new Catalog(() => server!.Publisher<ICatalogEvents>())), options);
    Console.WriteLine($"READY {server.Endpoint}");
    while (Console.ReadLine() is { } line && line != "quit")
    {
    }
    await server.DisposeAsync();
    return 0;
}

await using var client = await IpcClient.ConnectAsync(args[1], options: options);
var catalog = client.Proxy<ICatalog>();
var listener = new Listener();
IDisposable? subscription = null;
await Report("subscribe", () =>
{
    subscription = client.Subscribe<ICatalogEvents>(listener);
    return Task.FromResult("ok");
});

await Report("describe", () => catalog.DescribeAsync("Ada"));
#if CONTRACTS_V2
await Report("describe-with-options", () => catalog.DescribeAsync("Ada", "hi", 3));
await Report("rename", () => catalog.RenameAsync("a", "b"));
#endif
await Report("get", async () => await catalog.GetAsync("Ada") switch
{
#if CONTRACTS_V2
    var item => $"{item.Name} note={item.Note ?? "null"}",
#else
    var item => item.Name,
#endif
});
await Report("scale", async () => $"{await catalog.ScaleAsync(21)}");
await Report("event", async () =>
{
    await catalog.TouchAsync("Ada");
    return await listener.Received.Task.WaitAsync(TimeSpan.FromSeconds(20));
});
subscription?.Dispose();
Console.WriteLine("DONE");
return 0;

static async Task Report(string label, Func<Task<string>> call)
{
    string outcome;
    try
    {
        outcome = await call().WaitAsync(TimeSpan.FromSeconds(20));
    }
    catch (ContractMismatchException e)
    {
        outcome = $"MISMATCH {e.Contract}.{e.Method} | {e.Message}";
    }
    catch (Exception e)
    {
        outcome = $"ERROR {e.GetType().FullName}: {e.Message}";
    }
    Console.WriteLine($"{label}: {outcome}");
}

#if CONTRACTS_V1
sealed class Catalog(Func<ICatalogEvents> events) : ICatalog
{
    public Task<string> DescribeAsync(string name, CancellationToken ct) => Task.FromResult($"v1 {name}");
    public Task<Item> GetAsync(string name) => Task.FromResult(new Item(name));
    public Task<int> ScaleAsync(int factor) => Task.FromResult(factor * 2);
    public Task TouchAsync(string name)
    {
        events().Changed(name);
        return Task.CompletedTask;
    }
}

sealed class Listener : ICatalogEvents
{
    public TaskCompletionSource<string> Received { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    public void Changed(string name) => Received.TrySetResult($"changed {name}");
}
#else
sealed class Catalog(Func<ICatalogEvents> events) : ICatalog
{
    public Task<string> DescribeAsync(string name, string greeting, int times, CancellationToken ct) => Task.FromResult($"v2 {greeting} {name} x{times}");
    public Task<Item> GetAsync(string name) => Task.FromResult(new Item(name, "from v2"));
    public Task<int> ScaleAsync(long factor) => Task.FromResult((int)factor * 2);
    public Task TouchAsync(string name)
    {
        events().Changed(name, revision: 7);
        return Task.CompletedTask;
    }
    public Task<string> RenameAsync(string from, string to) => Task.FromResult($"{from}->{to}");
}

sealed class Listener : ICatalogEvents
{
    public TaskCompletionSource<string> Received { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    public void Changed(string name, int revision) => Received.TrySetResult($"changed {name} revision {revision}");
}
#endif
