using System.Text.Json.Serialization;
using IpcContracts;

namespace StartupPackage.Contracts;

/// <summary>
/// The worker process builds the UI's startup package (seed 000's use case: a UI and a worker exchanging a 24 MB package
/// at start-up) and hands it over as a stream of bytes.
/// </summary>
[RequestContract("startup.worker")]
public interface IStartupWorker
{
    /// <summary>Builds a package of <paramref name="megabytes"/> MiB, reporting its progress while it works.</summary>
    Task<PackageInfo> PrepareAsync(int megabytes, IProgress<PrepareProgress> progress, CancellationToken ct = default);

    /// <summary>The package's bytes: raw 64 KiB chunks under the stream's credit window, read by the UI as they arrive.</summary>
    Task<Stream> DownloadAsync(string packageId, CancellationToken ct = default);
}

public sealed record PackageInfo(string Id, long Length, string Sha256);

public sealed record PrepareProgress(int Percent, string Stage);

[JsonSerializable(typeof(PackageInfo))]
[JsonSerializable(typeof(PrepareProgress))]
public sealed partial class WorkerJson : JsonSerializerContext;
