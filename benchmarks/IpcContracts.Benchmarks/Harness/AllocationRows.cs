using System.Globalization;
using IpcContracts.Benchmarks.Processes;
using static IpcContracts.Benchmarks.Harness.Timing;

namespace IpcContracts.Benchmarks.Harness;

/// <summary>
/// <c>alloc [pipe|tcp|shm ...]</c>: only the allocation rows of the harness, measured the same way (the whole measuring
/// process and the whole child server process, between a mark and the stats, <see cref="GC.GetTotalAllocatedBytes"/>
/// precise), for a Task method, the same as a ValueTask method, and events (a flood, as in row 3, and in batches of 100
/// the subscriber keeps up with). Counts, not times: they do not depend on the machine's load, and take seconds.
/// </summary>
internal static class AllocationRows
{
    private const int RoundTrips = 20_000;
    private const int Events = 100_000;

    public static int Run(string[] transports)
    {
        if (transports.Length == 0) transports = ["pipe", "tcp", "shm"];
        Console.WriteLine("| transport | operation | measuring process (caller / publisher) | child (server / subscriber) |");
        Console.WriteLine("|---|---|---|---|");
        foreach (var transport in transports)
        {
            var endpoint = transport switch
            {
                "pipe" => $"pipe://ipcalloc-{Environment.ProcessId}",
                "tcp" => "tcp://127.0.0.1:0",
                "shm" => $"shm://ipcalloc-{Environment.ProcessId}",
                _ => throw new ArgumentException($"Unknown transport '{transport}' (pipe, tcp or shm)."),
            };
            using var child = Child.StartOurs(endpoint);
            Await(async () =>
            {
                await using var client = await IpcClient.ConnectAsync(child.Address,
                    options: new IpcOptions { DefaultCallTimeout = TimeSpan.FromMinutes(5) }).ConfigureAwait(false);
                var echo = client.Proxy<IEcho>();
                var valueEcho = client.Proxy<IValueEcho>();
                var events = client.Publisher<IBenchEvents>();
                var payload = new Payload(new string('x', HarnessConfig.EventSize));
                long sent = 0;

                await Row(transport, "64 B round trip, Task<Payload>", child, RoundTrips, async n =>
                {
                    for (var i = 0; i < n; i++) await echo.EchoAsync(payload).ConfigureAwait(false);
                }).ConfigureAwait(false);
                await Row(transport, "64 B round trip, ValueTask<Payload>", child, RoundTrips, async n =>
                {
                    for (var i = 0; i < n; i++) await valueEcho.EchoAsync(payload).ConfigureAwait(false);
                }).ConfigureAwait(false);
                await Row(transport, "64 B event, flood (as row 3)", child, Events, async n =>
                {
                    for (var i = 0; i < n; i++) events.Tick(payload);
                    sent += n;
                    await echo.WaitForEventsAsync(sent).ConfigureAwait(false);
                }).ConfigureAwait(false);
                await Row(transport, "64 B event, batches of 100", child, Events, async n =>
                {
                    for (var done = 0; done < n; done += 100)
                    {
                        for (var i = 0; i < 100; i++) events.Tick(payload);
                        sent += 100;
                        await echo.WaitForEventsAsync(sent).ConfigureAwait(false);
                    }
                }).ConfigureAwait(false);
            });
        }
        return 0;
    }

    /// <summary>Warms up with one run of <paramref name="n"/>, then counts both processes over a second one.</summary>
    private static async Task Row(string transport, string what, Child child, int n, Func<int, Task> run)
    {
        await run(n).ConfigureAwait(false);
        child.Mark();
        var meter = LocalMeter.Start();
        await run(n).ConfigureAwait(false);
        var (bytes, _) = meter.Stop();
        var (childBytes, _) = child.Stats();
        Console.WriteLine($"| {transport}:// | {what} | {bytes / (double)n:0.0} B | {childBytes / (double)n:0.0} B |");
    }
}
