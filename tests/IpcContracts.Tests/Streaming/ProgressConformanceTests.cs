using System.Collections.Concurrent;
using IpcContracts.TestContracts;
using IpcContracts.Tests.Support;

namespace IpcContracts.Tests.Streaming;

/// <summary>
/// IProgress&lt;T&gt; parameters on every transport: reports arrive in order while the call runs, the caller's IProgress
/// never stalls the connection, and a flood of reports is coalesced, not queued without bound (docs/protocol.md 7.8).
/// </summary>
public abstract class ProgressConformanceTests(string transport)
{
    private async Task<(IpcServer Server, IpcClient Client, IJobs Jobs)> StartAsync()
    {
        var server = await IpcServer.StartAsync(Endpoints.For(transport), b => b.Handle<IJobs>(new JobService()).Handle<ICalculator>(new Calculator()));
        var client = await IpcClient.ConnectAsync(server.Endpoint.ToString());
        return (server, client, client.Proxy<IJobs>());
    }

    private static async Task StopAsync(IpcServer server, IpcClient client)
    {
        await client.DisposeAsync();
        await server.DisposeAsync();
    }

    /// <summary>Records every report on the thread that delivers it; optionally blocks each one.</summary>
    private sealed class Collector<T>(ManualResetEventSlim? gate = null) : IProgress<T>
    {
        public readonly ConcurrentQueue<T> Reports = new();
        public readonly TaskCompletionSource Entered = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Report(T value)
        {
            Entered.TrySetResult();
            gate?.Wait(TimeSpan.FromSeconds(30));
            Reports.Enqueue(value);
        }
    }

    [Fact]
    public async Task Reports_arrive_in_order_while_the_call_runs()
    {
        var (server, client, jobs) = await StartAsync();
        try
        {
            var progress = new Collector<int>();
            Assert.Equal(200, await jobs.CountToAsync(200, progress));

            // Reports run off the reader thread: the last may still be running when the call completes.
            await Eventually.TrueAsync(() => progress.Reports.Count == 200);
            Assert.Equal(Enumerable.Range(1, 200), progress.Reports);
            Assert.Equal(10, await jobs.CountToAsync(10, null)); // no IProgress: the reports are dropped
        }
        finally { await StopAsync(server, client); }
    }

    [Fact]
    public async Task A_report_before_a_failure_arrives_and_the_failure_is_the_calls()
    {
        var (server, client, jobs) = await StartAsync();
        try
        {
            var progress = new Collector<string>();
            var error = await Assert.ThrowsAsync<RemoteInvocationException>(() => jobs.FailAfterReportAsync("gave up", progress));
            Assert.Equal("gave up", error.RemoteMessage);
            await Eventually.TrueAsync(() => progress.Reports.Count == 1);
            Assert.Equal("started", progress.Reports.Single());
        }
        finally { await StopAsync(server, client); }
    }

    [Fact]
    public async Task A_blocked_IProgress_does_not_stall_the_connection()
    {
        var (server, client, jobs) = await StartAsync();
        using var gate = new ManualResetEventSlim();
        try
        {
            var progress = new Collector<int>(gate);
            var call = jobs.CountToAsync(50, progress);
            await progress.Entered.Task.WaitAsync(TimeSpan.FromSeconds(10)); // awaited: the test blocks no pool thread of its own

            // The first Report is blocked in user code, yet the reply and other calls still get through.
            Assert.Equal(50, await call.WaitAsync(TimeSpan.FromSeconds(20)));
            Assert.Equal(42, await client.Proxy<ICalculator>().AddAsync(40, 2).WaitAsync(TimeSpan.FromSeconds(20)));

            gate.Set();
            await Eventually.TrueAsync(() => progress.Reports.Count == 50);
            Assert.Equal(Enumerable.Range(1, 50), progress.Reports);
        }
        finally
        {
            gate.Set();
            await StopAsync(server, client);
        }
    }

    [Fact]
    public async Task A_flood_of_reports_to_a_slow_IProgress_is_coalesced_in_order_and_the_last_one_arrives()
    {
        var (server, client, jobs) = await StartAsync();
        try
        {
            const int count = 200_000;
            var seen = new ConcurrentQueue<int>();
            var progress = new SlowProgress(seen);
            Assert.Equal(count, await jobs.CountToAsync(count, progress).WaitAsync(TimeSpan.FromSeconds(60)));

            await Eventually.TrueAsync(() => seen.LastOrDefault() == count, 30_000);
            var reports = seen.ToArray();
            Assert.True(reports.Length <= count);
            Assert.True(reports.Zip(reports.Skip(1)).All(p => p.First < p.Second), "reports out of order");
        }
        finally { await StopAsync(server, client); }
    }

    private sealed class SlowProgress(ConcurrentQueue<int> seen) : IProgress<int>
    {
        public void Report(int value)
        {
            seen.Enqueue(value);
            Thread.SpinWait(2_000); // slower than the handler reports
        }
    }
}

public sealed class InProcProgress() : ProgressConformanceTests("inproc");
public sealed class PipeProgress() : ProgressConformanceTests("pipe");
public sealed class TcpProgress() : ProgressConformanceTests("tcp");
public sealed class ShmProgress() : ProgressConformanceTests("shm");
