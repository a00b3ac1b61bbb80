using IpcContracts.Tests.CrossProcess;
using IpcContracts.Tests.Support;

namespace IpcContracts.Tests.Aot;

/// <summary>
/// The cross-process suite again with the test host published as Native AOT: an AOT server against a
/// JIT client (this process) and a JIT server (this process) against AOT clients, on every transport.
/// </summary>
public sealed class AotPipeCrossProcess() : CrossProcessTests("pipe", nativeAotHost: true);
public sealed class AotTcpCrossProcess() : CrossProcessTests("tcp", nativeAotHost: true);
/// <summary>tcp:// with <see cref="IpcOptions.DedicatedReaderThread"/> in this process and in the Native AOT host.</summary>
public sealed class AotTcpDedicatedReaderCrossProcess() : CrossProcessTests("tcp", nativeAotHost: true, dedicatedReader: true);
public sealed class AotShmCrossProcess() : CrossProcessTests("shm", nativeAotHost: true);

public sealed class NativeAotPublishTests
{
    [Fact]
    public async Task The_AOT_publish_succeeds_with_no_trim_or_AOT_warnings()
    {
        var published = await AotHost.GetAsync();

        Assert.True(published.ExitCode == 0, published.Log);
        Assert.Empty(published.TrimOrAotWarnings);
        Assert.True(File.Exists(published.BinaryPath));
        // A native binary, not an apphost that needs the runtime: no managed entry dll next to it.
        Assert.False(File.Exists(Path.ChangeExtension(published.BinaryPath, ".dll")));
    }
}
