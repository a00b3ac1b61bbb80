using IpcContracts.TestContracts;
using IpcContracts.Tests.Support;

namespace IpcContracts.Tests.Liveness;

/// <summary>
/// A large binary argument is sent from the caller's own memory, not copied into the frame (docs/semantics.md, "The
/// caller's buffer"): once the call's task has completed, however it completed, the caller may reuse that buffer, so the
/// send path must never read it afterwards. Each case stops the server process (SIGSTOP) so the Request cannot leave,
/// ends the call, overwrites the buffer the moment the call's task completes (a continuation, as a caller's reuse
/// would be), lets the server read again, and asks it what it received: the
/// original bytes or nothing, never a mix. Without the rule (a cancelled call completing at once while its frame still
/// reads the buffer) the server keeps bytes of the overwritten buffer and these tests fail.
/// </summary>
public abstract class CallerBufferTests(string transport)
{
    // More than any socket buffer or shm ring holds, so the write is still under way when the call ends.
    private const int Size = 32 << 20;
    private const byte Reused = 0xEE;

    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(90); // turns a wedge into a failure; not a performance threshold

    private static IpcOptions Options(TimeSpan sendStall) => new()
    {
        DefaultCallTimeout = TimeSpan.FromMinutes(5),
        SendStallTimeout = sendStall,
        Reconnect = { Enabled = false },
    };

    /// <summary>Overwrites <paramref name="data"/> as soon as <paramref name="call"/> completes (its first continuation).</summary>
    private static Task ReuseWhenDone(Task call, byte[] data) =>
        call.ContinueWith(_ => data.AsSpan().Fill(Reused), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);

    /// <summary>
    /// The premise of a mid-write case: the Request has started to leave. Under load the writer may take a while to get
    /// there, and a call that ends before then is dropped unsent (a different rule, checked by its own case).
    /// </summary>
    private static Task WriteStartedAsync(IpcClient client) =>
        Eventually.TrueAsync(() => client.Connection.BorrowedWritesStarted > 0, (int)Bound.TotalMilliseconds);

    /// <summary>Starts the call on a thread of its own, so a send that blocked would fail the test instead of hanging it.</summary>
    private static async Task<Task<long>> StartAsync(Func<Task<long>> start)
    {
        Task<long>? call = null;
        await Task.Factory.StartNew(() => call = start(), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).WaitAsync(Bound);
        return call!;
    }

    /// <summary>
    /// The call ends (its token cancelled, or its deadline passed) while its Request is being written: the outcome waits
    /// until the write has ended, here because the server reads again, so the server gets the original bytes whole and
    /// the connection goes on.
    /// </summary>
    [Theory]
    [InlineData("cancel")]
    [InlineData("timeout")]
    public async Task A_call_that_ends_while_its_argument_is_being_written_completes_after_the_write_and_the_peer_gets_the_original_bytes(string ending)
    {
        await using var host = await HostProcess.StartServerAsync(Endpoints.For(transport));
        await using var client = await IpcClient.ConnectAsync(host.Endpoint, options: Options(TimeSpan.FromMinutes(5)));
        var blobs = client.Proxy<IBlobs>();
        var slot = Guid.NewGuid().ToString("N");
        Assert.Equal(-1, await blobs.KeptChecksumAsync(slot));
        var data = Patterns.Bytes(Size, 21);
        var original = Patterns.Checksum(data);
        using var cts = new CancellationTokenSource();

        ProcessSignal.Send(host.Id, "STOP");
        Task<long> call;
        Task reused;
        try
        {
            call = await StartAsync(() =>
            {
                if (ending == "cancel") return blobs.KeepMemoryAsync(slot, data, cts.Token);
                // Long enough for the write to start first on a loaded machine; a call that timed out before a byte left
                // would be dropped unsent, the other case (below), not this one.
                using (IpcCall.WithTimeout(TimeSpan.FromSeconds(3))) return blobs.KeepMemoryAsync(slot, data);
            });
            reused = ReuseWhenDone(call, data);
            await WriteStartedAsync(client);
            if (ending == "cancel") cts.Cancel();
            // The call is out of the pending table: cancelled, or timed out by the connection's timer.
            await Eventually.TrueAsync(() => client.Connection.PendingCalls == 0, (int)Bound.TotalMilliseconds);
            // A call that completed now (its frame still being written) would have its buffer overwritten by the time the
            // server reads again; the caller's continuation runs on the pool, so give it a moment. Not a threshold: with
            // the rule in place the call cannot complete while the server is stopped, however long this waits.
            await Task.WhenAny(reused, Task.Delay(500));
            Assert.False(call.IsCompleted, "The call completed while its frame was still being written.");
        }
        finally
        {
            ProcessSignal.Send(host.Id, "CONT");
        }

        if (ending == "cancel") await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call.WaitAsync(Bound));
        else await Assert.ThrowsAsync<TimeoutException>(() => call.WaitAsync(Bound));
        await reused.WaitAsync(Bound);
        Assert.Equal(original, await blobs.KeptChecksumAsync(slot).WaitAsync(Bound));
        Assert.True(client.Connection.IsConnected);
        Assert.Equal(Patterns.Checksum(data), await blobs.KeepMemoryAsync(slot, data).WaitAsync(Bound)); // the connection goes on
    }

    /// <summary>
    /// A call cancelled while its Request still waits in the send queue (behind another large one) completes at once, and
    /// its Request is never sent: the server never sees the overwritten bytes, and the call ahead of it is unaffected.
    /// </summary>
    [Fact]
    public async Task A_call_cancelled_before_its_request_started_to_leave_completes_at_once_and_is_never_sent()
    {
        await using var host = await HostProcess.StartServerAsync(Endpoints.For(transport));
        await using var client = await IpcClient.ConnectAsync(host.Endpoint, options: Options(TimeSpan.FromMinutes(5)));
        var blobs = client.Proxy<IBlobs>();
        var slot = Guid.NewGuid().ToString("N");
        Assert.Equal(-1, await blobs.KeptChecksumAsync(slot + "b"));
        var first = Patterns.Bytes(Size, 22);
        var second = Patterns.Bytes(Size, 23);
        using var cts = new CancellationTokenSource();

        ProcessSignal.Send(host.Id, "STOP");
        Task<long> ahead, behind;
        Task reused;
        try
        {
            ahead = await StartAsync(() => blobs.KeepMemoryAsync(slot + "a", first));
            behind = await StartAsync(() => blobs.KeepMemoryAsync(slot + "b", second, cts.Token));
            reused = ReuseWhenDone(behind, second);
            cts.Cancel();
            // Its frame had not started: the call completed inside Cancel(), and the caller reuses its buffer while the
            // server is still stopped.
            Assert.True(behind.IsCanceled);
            await reused.WaitAsync(Bound);
        }
        finally
        {
            ProcessSignal.Send(host.Id, "CONT");
        }

        Assert.Equal(Patterns.Checksum(first), await ahead.WaitAsync(Bound));
        Assert.Equal(Patterns.Checksum(first), await blobs.KeptChecksumAsync(slot + "a").WaitAsync(Bound));
        Assert.Equal(-1, await blobs.KeptChecksumAsync(slot + "b").WaitAsync(Bound));
        Assert.True(client.Connection.IsConnected);
    }

    /// <summary>
    /// Nothing hangs: a call cancelled while its Request is being written to a peer that never reads again completes once
    /// the stalled write has closed the connection (IpcOptions.SendStallTimeout), not before; the peer then holds a
    /// truncated frame and drops it.
    /// </summary>
    [Fact]
    public async Task A_call_cancelled_mid_write_to_a_stopped_peer_completes_when_the_stall_closes_the_connection()
    {
        await using var host = await HostProcess.StartServerAsync(Endpoints.For(transport));
        var slot = Guid.NewGuid().ToString("N");
        var data = Patterns.Bytes(Size, 24);
        using var cts = new CancellationTokenSource();
        var connectedWhenDone = true;

        await using (var client = await IpcClient.ConnectAsync(host.Endpoint, options: Options(TimeSpan.FromSeconds(2))))
        {
            var blobs = client.Proxy<IBlobs>();
            Assert.Equal(-1, await blobs.KeptChecksumAsync(slot));
            ProcessSignal.Send(host.Id, "STOP");
            try
            {
                var call = await StartAsync(() => blobs.KeepMemoryAsync(slot, data, cts.Token));
                var reused = call.ContinueWith(_ =>
                {
                    connectedWhenDone = client.Connection.IsConnected;
                    data.AsSpan().Fill(Reused);
                }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
                await WriteStartedAsync(client);
                cts.Cancel();

                await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call.WaitAsync(Bound));
                await reused.WaitAsync(Bound);
                Assert.False(connectedWhenDone, "The cancelled call completed while its frame was still being written.");
                var reason = await client.Connection.Completion.WaitAsync(Bound);
                Assert.Equal(DisconnectReason.Stalled, reason.Reason);
            }
            finally
            {
                ProcessSignal.Send(host.Id, "CONT");
            }
        }

        await using var again = await IpcClient.ConnectAsync(host.Endpoint);
        Assert.Equal(-1, await again.Proxy<IBlobs>().KeptChecksumAsync(slot).WaitAsync(Bound));
    }
}

public sealed class PipeCallerBuffer() : CallerBufferTests("pipe");

public sealed class TcpCallerBuffer() : CallerBufferTests("tcp");

public sealed class ShmCallerBuffer() : CallerBufferTests("shm");
