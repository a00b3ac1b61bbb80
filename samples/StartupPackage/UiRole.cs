using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using IpcContracts;
using StartupPackage.Contracts;

namespace StartupPackage;

/// <summary>
/// The UI process: starts the worker, asks it to prepare the package (printing its progress), then reads the package as
/// a stream (printing its own progress) while a heartbeat stands in for the UI thread and records its longest gap.
/// </summary>
internal static class UiRole
{
    public static async Task<int> RunAsync(SampleOptions options)
    {
        using var worker = StartWorker(options.Endpoint);
        var endpoint = await WaitForReadyAsync(worker);
        Console.WriteLine($"startup-package: worker {worker.Id} listens on {endpoint}; package {options.Megabytes} MiB over {options.Transport}://");
        try
        {
            await using var client = await IpcClient.ConnectAsync(endpoint);
            var proxy = client.Proxy<IStartupWorker>();
            using var heartbeat = new Heartbeat(TimeSpan.FromMilliseconds(10));

            // 1. The worker builds the package and reports as it goes; reports arrive while the call runs.
            var prepareClock = Stopwatch.StartNew();
            var info = await proxy.PrepareAsync(options.Megabytes,
                new Progress<PrepareProgress>(p => Console.WriteLine($"  worker: {p.Percent,3}% {p.Stage}")));
            prepareClock.Stop();

            // 2. The package as a stream: read as it arrives, hashed on the way, never held whole by the transport.
            var transferClock = Stopwatch.StartNew();
            await using var stream = await proxy.DownloadAsync(info.Id);
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            var buffer = new byte[64 * 1024];
            long received = 0;
            var nextReport = info.Length / 4;
            int read;
            while ((read = await stream.ReadAsync(buffer)) > 0)
            {
                hash.AppendData(buffer, 0, read);
                received += read;
                if (received >= nextReport)
                {
                    Console.WriteLine($"  ui: {received * 100 / info.Length,3}% received ({Mib(received)} of {Mib(info.Length)})");
                    nextReport += info.Length / 4;
                }
            }
            transferClock.Stop();
            var intact = received == info.Length && Convert.ToHexString(hash.GetHashAndReset()) == info.Sha256;
            var gap = heartbeat.Stop();

            Console.WriteLine($"startup-package: prepared in {Ms(prepareClock.Elapsed)}; {Mib(received)} transferred in {Ms(transferClock.Elapsed)} " +
                $"({(received / 1048576.0 / transferClock.Elapsed.TotalSeconds).ToString("0", CultureInfo.InvariantCulture)} MiB/s)");
            Console.WriteLine($"startup-package: UI heartbeat every 10 ms, longest gap {Ms(gap)} ({heartbeat.Ticks} ticks)");
            Console.WriteLine(intact ? "startup-package: SHA-256 matches: OK" : "startup-package: FAILED: the package arrived damaged");
            return intact ? 0 : 1;
        }
        finally
        {
            try { worker.StandardInput.WriteLine("quit"); } catch (IOException) { /* the worker is gone already */ }
            if (!worker.WaitForExit(10_000)) worker.Kill(entireProcessTree: true);
        }
    }

    private static string Mib(long bytes) => (bytes / 1048576.0).ToString("0.0", CultureInfo.InvariantCulture) + " MiB";
    private static string Ms(TimeSpan t) => t.TotalMilliseconds.ToString("0.0", CultureInfo.InvariantCulture) + " ms";

    private static Process StartWorker(string endpoint)
    {
        // Re-launch this program as the worker: the apphost or native binary directly, or the dll through `dotnet`.
        var self = Environment.ProcessPath ?? throw new InvalidOperationException("Cannot find this program's path.");
        var info = new ProcessStartInfo(self) { RedirectStandardOutput = true, RedirectStandardInput = true };
        if (Path.GetFileNameWithoutExtension(self) == "dotnet")
            info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "StartupPackage.dll"));
        foreach (var a in new[] { "--role", "worker", "--endpoint", endpoint }) info.ArgumentList.Add(a);
        return Process.Start(info) ?? throw new InvalidOperationException("Could not start the worker process.");
    }

    private static async Task<string> WaitForReadyAsync(Process worker)
    {
        var line = await worker.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30));
        return line is not null && line.StartsWith("READY ", StringComparison.Ordinal)
            ? line[6..]
            : throw new InvalidOperationException($"The worker did not start (it said: {line ?? "nothing"}).");
    }

    /// <summary>A thread that wakes every period, as a UI thread's message loop would, and records its longest gap.</summary>
    private sealed class Heartbeat : IDisposable
    {
        private readonly Thread _thread;
        private volatile bool _stop;
        private long _longestTicks;

        public Heartbeat(TimeSpan period)
        {
            _thread = new Thread(() =>
            {
                var last = Stopwatch.GetTimestamp();
                while (!_stop)
                {
                    Thread.Sleep(period);
                    var now = Stopwatch.GetTimestamp();
                    _longestTicks = Math.Max(_longestTicks, now - last);
                    last = now;
                    Ticks++;
                }
            }) { IsBackground = true, Name = "ui heartbeat" };
            _thread.Start();
        }

        public int Ticks { get; private set; }

        public TimeSpan Stop()
        {
            _stop = true;
            _thread.Join();
            return Stopwatch.GetElapsedTime(0, _longestTicks);
        }

        public void Dispose() => _stop = true;
    }
}
