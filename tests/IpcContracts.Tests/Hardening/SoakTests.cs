using System.Diagnostics;
using IpcContracts.TestContracts;
using IpcContracts.Tests.Support;
using Xunit.Abstractions;

namespace IpcContracts.Tests.Hardening;

/// <summary>
/// Eight clients mixing requests, callbacks and events against one server for a fixed time per transport.
/// CI runs 3 s each; `IPC_SOAK_SECONDS=600 dotnet test --filter SoakTests` runs longer.
/// </summary>
[Collection(MeasuresMemory.Name)]
public sealed class SoakTests(ITestOutputHelper output)
{
    private static TimeSpan Duration =>
        TimeSpan.FromSeconds(int.TryParse(Environment.GetEnvironmentVariable("IPC_SOAK_SECONDS"), out var s) && s > 0 ? s : 3);

    [Theory]
    [InlineData("inproc")]
    [InlineData("pipe")]
    [InlineData("tcp")]
    [InlineData("shm")]
    public async Task Eight_clients_with_mixed_traffic_lose_and_mismatch_nothing_and_memory_stays_bounded(string transport)
    {
        IpcServer? server = null;
        server = await IpcServer.StartAsync(Endpoints.For(transport), b => b.Handle<ICalculator>(new Calculator(() => server!.Publisher<ITicks>())));
        await using var _ = server;
        var clients = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ =>
            IpcClient.ConnectAsync(server.Endpoint.ToString(), b => b.Handle<IClientCallback>(new Pair.UpperCaser()))));
        var collectors = clients.Select(c =>
        {
            var collector = new TickCollector(int.MaxValue);
            c.Subscribe<ITicks>(collector);
            return collector;
        }).ToArray();
        await Eventually.TrueAsync(() => server.Connections.Count(c => c.PeerSubscribed(new(false, ContractIds.Ticks))) == 8);
        var publisher = server.Publisher<ITicks>();

        using var process = Process.GetCurrentProcess();
        var heapStart = GC.GetTotalMemory(forceFullCollection: true);
        process.Refresh();
        var workingSetStart = process.WorkingSet64;
        var stop = DateTime.UtcNow + Duration;
        var published = 0;
        var calls = new long[clients.Length];

        var publishing = Task.Run(async () =>
        {
            while (DateTime.UtcNow < stop)
            {
                publisher.Tick(new Tick(++published, "soak"));
                if (published % 100 == 0) await Task.Delay(1);
            }
        });
        var callers = clients.Select((client, index) => Task.Run(async () =>
        {
            var calc = client.Proxy<ICalculator>();
            var random = new Random(index);
            while (DateTime.UtcNow < stop)
            {
                var a = random.Next(1_000_000);
                switch (random.Next(4))
                {
                    case 0: Assert.Equal(a + index, await calc.AddAsync(a, index)); break;
                    case 1: Assert.Equal($"{index}:{a}", await calc.EchoAsync($"{index}:{a}")); break;
                    case 2: Assert.Equal($"server saw '{index}:{a}'", await calc.CallBackAsync($"{index}:{a}")); break;
                    default: Assert.Equal(new Totals(a + index, "s"), await calc.SumAsync([a, index], "s", false)); break;
                }
                calls[index]++;
            }
        })).ToArray();
        await Task.WhenAll(callers.Append(publishing));

        // Every client saw every event, in order.
        foreach (var c in clients) await c.Connection.PingAsync();
        foreach (var collector in collectors)
        {
            await Eventually.TrueAsync(() => collector.Count == published, 30_000);
            Assert.Equal(Enumerable.Range(1, published), collector.Sequences);
            collector.Forget(); // what the test itself recorded is not the library's memory
        }
        var heapEnd = GC.GetTotalMemory(forceFullCollection: true);
        process.Refresh();
        var workingSetEnd = process.WorkingSet64;
        output.WriteLine($"{transport}: {Duration.TotalSeconds:0} s, {calls.Sum()} calls, {published} events x 8 clients, " +
                         $"working set {workingSetStart / (1024 * 1024)} MiB -> {workingSetEnd / (1024 * 1024)} MiB, " +
                         $"managed heap {heapStart / (1024 * 1024)} MiB -> {heapEnd / (1024 * 1024)} MiB");
        Assert.All(calls, n => Assert.True(n > 0));
        // This collection runs alone, so the live heap after a full GC is ours. A leak per call or per event
        // (tens of thousands of each) would exceed this bound.
        Assert.True(heapEnd - heapStart < 32L * 1024 * 1024, $"managed heap grew by {(heapEnd - heapStart) / (1024 * 1024)} MiB");
        foreach (var c in clients) await c.DisposeAsync();
    }
}
