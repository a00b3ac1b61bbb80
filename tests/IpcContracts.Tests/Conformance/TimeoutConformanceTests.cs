using IpcContracts.TestContracts;
using IpcContracts.Tests.Support;

namespace IpcContracts.Tests.Conformance;

/// <summary>
/// Deadlines and their precedence (docs/semantics.md, "Deadlines"): IpcCall.WithTimeout over
/// [ContractMethod(TimeoutMilliseconds)] over IpcOptions.DefaultCallTimeout. Handlers wait on a signal, so each test
/// orders what it checks by signals and by other deadlines passing, never by measuring time: "A outlives B" is
/// "B timed out while A was still running, and A then finished with its handler's answer". Run once per transport by
/// the subclasses at the bottom.
/// </summary>
public abstract class TimeoutConformanceTests(string transport)
{
    private static string NewProbe() => Guid.NewGuid().ToString("N");

    /// <summary>
    /// A hang guard for calls that may have no deadline (a broken scope or attribute would leave them waiting for
    /// ever): fails the test, with an exception other than TimeoutException, if the task is still running after a
    /// bound far beyond every deadline here. Not a timing assertion: a healthy run never comes near it.
    /// </summary>
    private static async Task<T> Bounded<T>(Task<T> task)
    {
        if (await Task.WhenAny(task, Task.Delay(TimeSpan.FromSeconds(60))) != task)
            Assert.Fail("The call neither completed nor timed out within 60 s.");
        return await task;
    }

    private async Task<(IpcServer Server, IpcClient Client, ITimeouts Timeouts)> StartAsync(IpcOptions? clientOptions = null)
    {
        var server = await IpcServer.StartAsync(Endpoints.For(transport), b => b.Handle<ITimeouts>(new TimeoutService()));
        var client = await IpcClient.ConnectAsync(server.Endpoint.ToString(), options: clientOptions);
        return (server, client, client.Proxy<ITimeouts>());
    }

    [Fact]
    public async Task A_method_with_a_short_timeout_times_out_while_a_call_under_the_default_keeps_waiting()
    {
        var (server, client, timeouts) = await StartAsync(); // DefaultCallTimeout: the 30 s default
        await using var _ = server;
        await using var __ = client;
        string waiting = NewProbe(), short_ = NewProbe();

        var underDefault = timeouts.DefaultAsync(waiting);
        var e = await Assert.ThrowsAsync<TimeoutException>(() => timeouts.ShortAsync(short_));

        Assert.Contains("[ContractMethod(TimeoutMilliseconds)]", e.Message);
        Assert.False(underDefault.IsCompleted); // started first, yet still running: the method's deadline is its own
        await Eventually.TrueAsync(() => TimeoutService.WasCancelled(short_)); // the deadline cancelled the handler too
        TimeoutService.Release(waiting, "answer");
        Assert.Equal("answer", await underDefault);
    }

    [Fact]
    public async Task A_Timeout_Infinite_method_outlives_a_short_DefaultCallTimeout()
    {
        var (server, client, timeouts) = await StartAsync(new IpcOptions { DefaultCallTimeout = TimeSpan.FromMilliseconds(300) });
        await using var _ = server;
        await using var __ = client;
        string poll = NewProbe(), other = NewProbe();

        var longPoll = timeouts.LongPollAsync(poll);
        var e = await Assert.ThrowsAsync<TimeoutException>(() => timeouts.DefaultAsync(other)); // started later, over first

        Assert.Contains("IpcOptions.DefaultCallTimeout", e.Message);
        Assert.False(longPoll.IsCompleted);
        TimeoutService.Release(poll, "news");
        Assert.Equal("news", await Bounded(longPoll));
        Assert.False(TimeoutService.WasCancelled(poll));
    }

    [Fact]
    public async Task A_scope_shorter_than_the_method_timeout_wins()
    {
        var (server, client, timeouts) = await StartAsync();
        await using var _ = server;
        await using var __ = client;
        var poll = NewProbe();

        Task<string> call;
        using (IpcCall.WithTimeout(TimeSpan.FromMilliseconds(300)))
            call = timeouts.LongPollAsync(poll); // Timeout.Infinite by its attribute

        var e = await Assert.ThrowsAsync<TimeoutException>(() => Bounded(call));
        Assert.Contains("IpcCall.WithTimeout", e.Message);
        await Eventually.TrueAsync(() => TimeoutService.WasCancelled(poll));
    }

    [Fact]
    public async Task A_scope_longer_than_the_method_timeout_wins()
    {
        var (server, client, timeouts) = await StartAsync();
        await using var _ = server;
        await using var __ = client;
        string scoped = NewProbe(), bare = NewProbe();

        Task<string> inScope;
        using (IpcCall.WithTimeout(Timeout.InfiniteTimeSpan))
            inScope = timeouts.ShortAsync(scoped);
        await Assert.ThrowsAsync<TimeoutException>(() => timeouts.ShortAsync(bare)); // the same method, without the scope

        Assert.False(inScope.IsCompleted);
        TimeoutService.Release(scoped, "late but fine");
        Assert.Equal("late but fine", await Bounded(inScope));
    }

    [Fact]
    public async Task A_scope_does_not_leak_to_calls_after_it()
    {
        var (server, client, timeouts) = await StartAsync();
        await using var _ = server;
        await using var __ = client;
        string inside = NewProbe(), after = NewProbe();

        Task<string> insideCall;
        using (IpcCall.WithTimeout(Timeout.InfiniteTimeSpan))
        {
            await Task.Yield(); // the scope follows the flow across an await
            insideCall = timeouts.ShortAsync(inside);
        }
        var e = await Assert.ThrowsAsync<TimeoutException>(() => Bounded(timeouts.ShortAsync(after)));

        Assert.Contains("[ContractMethod(TimeoutMilliseconds)]", e.Message); // the method's deadline again, not the scope's
        Assert.False(insideCall.IsCompleted); // and disposing the scope did not change the call started in it
        TimeoutService.Release(inside);
        Assert.Equal("released", await Bounded(insideCall));
    }

    [Fact]
    public async Task The_callers_token_still_cancels_a_call_without_a_deadline()
    {
        var (server, client, timeouts) = await StartAsync();
        await using var _ = server;
        await using var __ = client;
        var poll = NewProbe();
        using var cts = new CancellationTokenSource();

        Task<string> call;
        using (IpcCall.WithTimeout(Timeout.InfiniteTimeSpan))
            call = timeouts.LongPollAsync(poll, cts.Token);
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Bounded(call)); // a token gives OperationCanceledException, a deadline TimeoutException
        await Eventually.TrueAsync(() => TimeoutService.WasCancelled(poll));
    }

    [Fact]
    public async Task An_untyped_call_takes_the_scope_deadline()
    {
        var (server, client, _) = await StartAsync();
        await using var s = server;
        await using var c = client;
        var poll = NewProbe();

        Task<string> call;
        using (IpcCall.WithTimeout(TimeSpan.FromMilliseconds(300)))
            call = client.Connection.InvokeRawAsync("test.timeouts", "LongPollAsync", $$"""{"probe":"{{poll}}"}""");

        var e = await Assert.ThrowsAsync<TimeoutException>(() => Bounded(call));
        Assert.Contains("IpcCall.WithTimeout", e.Message);
    }

    [Fact]
    public async Task A_stream_methods_timeout_bounds_each_wait_for_an_item()
    {
        var (server, client, timeouts) = await StartAsync();
        await using var _ = server;
        await using var __ = client;
        var probe = NewProbe();

        // The producer sends 0 and then waits for a signal that never comes. The first wait is bounded too, so on a
        // loaded machine the timeout may come before 0: either way the enumeration ends with the method's deadline.
        var e = await Assert.ThrowsAsync<TimeoutException>(async () => { await foreach (var _ in timeouts.ShortStreamAsync(probe)) { } });

        Assert.Contains("sent no item", e.Message);
        Assert.Contains("[ContractMethod(TimeoutMilliseconds)]", e.Message);
        // The deadline ends the server's call too, producer included (the call is in flight until its enumerator is
        // disposed). Where the producer stood when its token was cancelled is the machine's draw: in its wait for the
        // signal, which it can leave only by the token; or not there yet, and then the server's loop stops it before
        // the next item without its asking (this test used to wait for the producer to see its token, and a loaded
        // machine failed it so).
        // The Ping's answer comes after the server has read the Request (one connection reads in order), so the count
        // below is not 0 only because the call has not reached the server yet.
        await client.Connection.PingAsync();
        await Eventually.TrueAsync(() => server.InFlightRequests == 0);
        Assert.True(!TimeoutService.StartedWaiting(probe) || TimeoutService.WasCancelled(probe),
            "The producer waited for its signal, and the call ended without its token cancelling that wait.");
    }

    [Fact]
    public async Task A_Timeout_Infinite_stream_outlives_a_short_DefaultCallTimeout()
    {
        var (server, client, timeouts) = await StartAsync(new IpcOptions { DefaultCallTimeout = TimeSpan.FromMilliseconds(300) });
        await using var _ = server;
        await using var __ = client;
        string quiet = NewProbe(), other = NewProbe();

        await using var items = timeouts.QuietStreamAsync(quiet).GetAsyncEnumerator();
        Assert.True(await Bounded(items.MoveNextAsync().AsTask()));
        var next = items.MoveNextAsync().AsTask(); // waits for an item the producer sends only when released
        await Assert.ThrowsAsync<TimeoutException>(() => timeouts.DefaultAsync(other));

        Assert.False(next.IsCompleted);
        TimeoutService.Release(quiet);
        Assert.True(await Bounded(next));
        Assert.Equal(1, items.Current);
        Assert.False(await Bounded(items.MoveNextAsync().AsTask()));
    }

    [Fact]
    public async Task A_scope_around_an_enumeration_sets_its_wait_for_items()
    {
        var (server, client, timeouts) = await StartAsync();
        await using var _ = server;
        await using var __ = client;
        string scoped = NewProbe(), bare = NewProbe();

        IAsyncEnumerator<int> inScope;
        using (IpcCall.WithTimeout(Timeout.InfiniteTimeSpan))
            inScope = timeouts.ShortStreamAsync(scoped).GetAsyncEnumerator(); // the call starts here, so the scope applies
        await using var ___ = inScope;
        Assert.True(await Bounded(inScope.MoveNextAsync().AsTask()));
        var next = inScope.MoveNextAsync().AsTask();
        await Assert.ThrowsAsync<TimeoutException>(async () => { await foreach (var _ in timeouts.ShortStreamAsync(bare)) { } });

        Assert.False(next.IsCompleted);
        TimeoutService.Release(scoped);
        Assert.True(await Bounded(next));
        Assert.Equal(1, inScope.Current);
    }
}

public sealed class InProcTimeouts() : TimeoutConformanceTests("inproc");
public sealed class PipeTimeouts() : TimeoutConformanceTests("pipe");
public sealed class TcpTimeouts() : TimeoutConformanceTests("tcp");
public sealed class ShmTimeouts() : TimeoutConformanceTests("shm");
