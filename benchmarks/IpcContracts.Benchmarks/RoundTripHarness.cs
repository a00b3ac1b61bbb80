using System.Diagnostics;
using HdrHistogram;
using IpcContracts;

namespace IpcContracts.Benchmarks;

/// <summary>
/// Round trip of a small request (64 B of payload) on each transport, against a server process, all
/// in one run so the figures are comparable. Reports p50/p99/p99.9 and the ratio to the pipe transport.
/// </summary>
internal static class RoundTripHarness
{
    public static async Task RunAsync(bool quick)
    {
        var iterations = quick ? 20_000 : 200_000;
        var payload = new Payload(new string('x', 64));
        Console.WriteLine($"IpcContracts round trip, {payload.Data.Length} B payload, {iterations} calls per transport after warm-up, " +
                          $"{Environment.ProcessorCount} CPUs, .NET {Environment.Version}");
        var rows = new List<(string Name, LongHistogram H)>();
        // shm twice: with the default spin budget, and with none (every wait sleeps on the futex), which
        // shows what parking costs on this machine.
        var spinDefault = new IpcOptions().SharedMemorySpinCount;
        foreach (var (name, transport, spin) in new[] { ("pipe", "pipe", spinDefault), ("tcp", "tcp", spinDefault),
                     ($"shm (spin {spinDefault})", "shm", spinDefault), ("shm (spin 0: futex every wait)", "shm", 0) })
        {
            var endpoint = transport switch
            {
                "pipe" => $"pipe://bench-{Environment.ProcessId}",
                "tcp" => "tcp://127.0.0.1:0",
                _ => $"shm://bench-{Environment.ProcessId}",
            };
            using var server = StartServer(endpoint, spin, out var bound);
            try
            {
                await using var client = await IpcClient.ConnectAsync(bound, options: new IpcOptions { SharedMemorySpinCount = spin });
                var echo = client.Proxy<IEcho>();
                for (var i = 0; i < 2_000; i++) await echo.EchoAsync(payload); // warm-up: JIT tiers, pools
                var h = new LongHistogram(TimeStamp.Seconds(10), 3);
                for (var i = 0; i < iterations; i++)
                {
                    var start = Stopwatch.GetTimestamp();
                    await echo.EchoAsync(payload);
                    h.RecordValue(Stopwatch.GetTimestamp() - start);
                }
                rows.Add((name, h));
            }
            finally
            {
                server.StandardInput.WriteLine("quit");
                if (!server.WaitForExit(10_000)) server.Kill(entireProcessTree: true);
            }
        }
        var baseline = Us(rows[0].H, 50);
        Console.WriteLine();
        Console.WriteLine("| transport | p50 (us) | p99 (us) | p99.9 (us) | p50 vs pipe |");
        Console.WriteLine("|---|---:|---:|---:|---:|");
        foreach (var (name, h) in rows)
            Console.WriteLine($"| {name} | {Us(h, 50):0.0} | {Us(h, 99):0.0} | {Us(h, 99.9):0.0} | {Us(h, 50) / baseline:0.00}x |");
    }

    private static double Us(LongHistogram h, double percentile) =>
        h.GetValueAtPercentile(percentile) * 1_000_000.0 / Stopwatch.Frequency;

    private static Process StartServer(string endpoint, int spin, out string bound)
    {
        var self = Environment.ProcessPath!;
        var info = new ProcessStartInfo(self) { RedirectStandardOutput = true, RedirectStandardInput = true };
        if (Path.GetFileNameWithoutExtension(self) == "dotnet") info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "IpcContracts.Benchmarks.dll"));
        info.ArgumentList.Add("--serve");
        info.ArgumentList.Add(endpoint);
        info.ArgumentList.Add(spin.ToString());
        var process = Process.Start(info)!;
        var line = process.StandardOutput.ReadLine() ?? throw new InvalidOperationException("The server process did not start.");
        bound = line.StartsWith("READY ", StringComparison.Ordinal) ? line[6..] : throw new InvalidOperationException(line);
        return process;
    }
}
