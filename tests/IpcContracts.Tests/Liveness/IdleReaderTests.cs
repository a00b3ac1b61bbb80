using IpcContracts.TestContracts;
using IpcContracts.Tests.Support;

namespace IpcContracts.Tests.Liveness;

/// <summary>
/// The thread that reads an idle connection sleeps (issue #16: idle connections cost no CPU after the spin budget). A
/// handler's synchronous part runs on the thread that read its request, so the handler below names that thread's Linux
/// thread ID; the test counts that thread's voluntary context switches (its wake-ups) while the connection is idle.
/// Counted, not timed.
/// </summary>
public sealed class IdleReaderTests
{
    /// <summary>Answers with the Linux thread ID of the thread that runs it.</summary>
    private sealed class ThreadId : IClientCallback
    {
        public Task<string> TransformAsync(string text) => Task.FromResult(ThreadWakeups.CurrentThreadId());
    }

    /// <summary>
    /// Regression: a parked shm reader woke every 100 ms (its safety-net timeout) for as long as the connection lived,
    /// about 30 times in 3 s; a pipe:// reader thread polled every 100 ms the same way. Now the shm reader's safety net
    /// doubles while nothing comes (up to 2 s) and the pipe reader sleeps until bytes arrive or the socket closes.
    /// </summary>
    [Theory]
    [InlineData("shm")]
    [InlineData("pipe")]
    [InlineData("tcp")]
    public async Task The_reader_thread_of_an_idle_connection_sleeps(string transport)
    {
        if (!OperatingSystem.IsLinux()) return;
        // A reader thread of its own on every transport here (pipe and tcp: asked for, not left to the automatic limit).
        var options = new IpcOptions { DedicatedReaderThread = true };
        await using var server = await IpcServer.StartAsync(Endpoints.For(transport), b => b.Handle<IClientCallback>(new ThreadId()), options);
        await using var client = await IpcClient.ConnectAsync(server.Endpoint.ToString(), options: options);
        var readerThread = await client.Proxy<IClientCallback>().TransformAsync("");

        await Task.Delay(1000); // past the spin budget and the first safety-net sleeps
        var before = ThreadWakeups.Of(readerThread);
        await Task.Delay(3000);
        var woken = ThreadWakeups.Of(readerThread) - before;

        Assert.True(woken <= 4, $"the server's reader thread woke {woken} times in 3 s of idle");
        Assert.Equal(readerThread, await client.Proxy<IClientCallback>().TransformAsync("")); // the same thread reads on
    }
}
