using IpcContracts;

namespace IpcContracts.Benchmarks;

/// <summary>The server process of a round-trip measurement.</summary>
internal static class EchoServer
{
    public static async Task<int> RunAsync(string endpoint, int spinCount)
    {
        await using var server = await IpcServer.StartAsync(endpoint, s => s.Handle<IEcho>(new Echo()),
            new IpcOptions { SharedMemorySpinCount = spinCount });
        Console.WriteLine($"READY {server.Endpoint}");
        while (Console.ReadLine() is { } line && line != "quit") { }
        return 0;
    }
}
