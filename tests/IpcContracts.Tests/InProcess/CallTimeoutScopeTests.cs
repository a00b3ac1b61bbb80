using IpcContracts.Runtime;

namespace IpcContracts.Tests.InProcess;

/// <summary>
/// IpcCall.WithTimeout as a scope: what a call starting at a given point would read (IpcCall.CurrentTimeout). The
/// calls themselves are checked over every transport in Conformance/TimeoutConformanceTests.
/// </summary>
public sealed class CallTimeoutScopeTests
{
    private static readonly TimeSpan Outer = TimeSpan.FromSeconds(5), Inner = TimeSpan.FromSeconds(1);

    [Fact]
    public void Scopes_nest_and_each_dispose_restores_the_enclosing_one()
    {
        Assert.Null(IpcCall.CurrentTimeout);
        using (IpcCall.WithTimeout(Outer))
        {
            using (IpcCall.WithTimeout(Inner))
                Assert.Equal(Inner, IpcCall.CurrentTimeout);
            Assert.Equal(Outer, IpcCall.CurrentTimeout);
        }
        Assert.Null(IpcCall.CurrentTimeout);
    }

    [Fact]
    public void A_scope_disposed_out_of_order_never_applies_again()
    {
        var outer = IpcCall.WithTimeout(Outer);
        var inner = IpcCall.WithTimeout(Inner);

        outer.Dispose();
        Assert.Equal(Inner, IpcCall.CurrentTimeout); // the inner one is still open
        inner.Dispose();
        Assert.Null(IpcCall.CurrentTimeout); // not the outer one, which was disposed first
        inner.Dispose(); // twice is harmless
        Assert.Null(IpcCall.CurrentTimeout);
    }

    [Fact]
    public async Task Work_started_inside_a_scope_does_not_see_it_once_it_is_disposed()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var read = new TaskCompletionSource<TimeSpan?>(TaskCreationOptions.RunContinuationsAsynchronously);
        Task<TimeSpan?> work;
        using (IpcCall.WithTimeout(Inner))
        {
            work = Task.Run(async () =>
            {
                read.SetResult(IpcCall.CurrentTimeout);
                await gate.Task;
                return IpcCall.CurrentTimeout;
            });
            Assert.Equal(Inner, await read.Task); // inherited while the scope is open, like any async-local value
        }
        gate.SetResult();

        Assert.Null(await work);
    }

    [Fact]
    public async Task A_scope_opened_in_an_awaited_method_does_not_flow_back_to_its_caller()
    {
        await OpenWithoutDisposingAsync();

        Assert.Null(IpcCall.CurrentTimeout);

        static async Task OpenWithoutDisposingAsync()
        {
            await Task.Yield();
            IpcCall.WithTimeout(Inner);
            Assert.Equal(Inner, IpcCall.CurrentTimeout);
        }
    }

    [Fact]
    public void Infinite_is_a_valid_scope_and_zero_or_negative_are_refused()
    {
        using (IpcCall.WithTimeout(Timeout.InfiniteTimeSpan))
            Assert.Equal(Timeout.InfiniteTimeSpan, IpcCall.CurrentTimeout);

        Assert.Throws<ArgumentOutOfRangeException>(() => IpcCall.WithTimeout(TimeSpan.Zero));
        Assert.Throws<ArgumentOutOfRangeException>(() => IpcCall.WithTimeout(TimeSpan.FromMilliseconds(-2)));
        Assert.Null(IpcCall.CurrentTimeout); // a refused scope was never opened
    }

    [Fact]
    public void A_method_descriptor_refuses_a_timeout_no_deadline_can_have()
    {
        Assert.Equal(Timeout.InfiniteTimeSpan, new MethodDescriptor(1, "m", 0, "R:void()") { CallTimeout = Timeout.InfiniteTimeSpan }.CallTimeout);
        Assert.Null(new MethodDescriptor(1, "m", 0, "R:void()").CallTimeout);
        Assert.Throws<ArgumentOutOfRangeException>(() => new MethodDescriptor(1, "m", 0, "R:void()") { CallTimeout = TimeSpan.Zero });
        Assert.Throws<ArgumentOutOfRangeException>(() => new MethodDescriptor(1, "m", 0, "R:void()") { CallTimeout = TimeSpan.FromSeconds(-3) });
    }
}
