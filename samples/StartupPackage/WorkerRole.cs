using System.Collections.Concurrent;
using System.Security.Cryptography;
using IpcContracts;
using StartupPackage.Contracts;

namespace StartupPackage;

/// <summary>The worker process: serves IStartupWorker until its standard input closes or says "quit".</summary>
internal static class WorkerRole
{
    public static async Task<int> RunAsync(string endpoint)
    {
        await using var server = await IpcServer.StartAsync(endpoint, b => b.Handle<IStartupWorker>(new Worker()));
        Console.WriteLine($"READY {server.Endpoint}");
        while (Console.ReadLine() is { } line && line != "quit") { }
        return 0;
    }

    private sealed class Worker : IStartupWorker
    {
        private readonly ConcurrentDictionary<string, byte[]> _packages = new();

        public async Task<PackageInfo> PrepareAsync(int megabytes, IProgress<PrepareProgress> progress, CancellationToken ct)
        {
            // Stands in for real work (reading files, building indexes): the package is filled in steps, each reported.
            var package = new byte[megabytes * 1024 * 1024];
            const int Steps = 8;
            var step = package.Length / Steps;
            for (var i = 0; i < Steps; i++)
            {
                ct.ThrowIfCancellationRequested();
                var part = package.AsSpan(i * step, i == Steps - 1 ? package.Length - i * step : step);
                for (var j = 0; j < part.Length; j++) part[j] = (byte)(j * 31 + i);
                progress.Report(new PrepareProgress((i + 1) * 100 / Steps, i < Steps / 2 ? "reading assets" : "building index"));
                await Task.Yield();
            }
            var id = Guid.NewGuid().ToString("N");
            _packages[id] = package;
            return new PackageInfo(id, package.Length, Convert.ToHexString(SHA256.HashData(package)));
        }

        public Task<Stream> DownloadAsync(string packageId, CancellationToken ct) =>
            _packages.TryRemove(packageId, out var package)
                ? Task.FromResult<Stream>(new MemoryStream(package, writable: false))
                : throw new KeyNotFoundException($"No package '{packageId}' (each package is downloaded once).");
    }
}
