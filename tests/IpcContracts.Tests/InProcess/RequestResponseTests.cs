using IpcContracts.TestContracts;
using IpcContracts.Tests.Support;

namespace IpcContracts.Tests.InProcess;

public sealed class RequestResponseTests
{
    [Fact]
    public async Task Calls_with_zero_one_and_many_parameters_return_the_handlers_results()
    {
        await using var pair = await Pair.StartAsync();
        var calc = pair.Calculator;

        Assert.Equal(42, await calc.GetAnswerAsync());
        Assert.Equal("héllo \"quoted\" \u2603", await calc.EchoAsync("héllo \"quoted\" \u2603"));
        Assert.Equal(7, await calc.AddAsync(3, 4));
        Assert.Equal(new Totals(-6, "label"), await calc.SumAsync([1, 2, 3], "label", negate: true));
        Assert.Equal(11, await calc.IncrementAsync(10));
    }

    [Fact]
    public async Task A_call_without_a_result_completes_and_its_handler_exception_comes_back()
    {
        await using var pair = await Pair.StartAsync();

        await pair.Calculator.NoResultAsync("fine");
        var e = await Assert.ThrowsAsync<RemoteInvocationException>(() => pair.Calculator.NoResultAsync("fail"));

        Assert.Equal(typeof(ArgumentException).FullName, e.RemoteType);
    }

    [Fact]
    public async Task A_handler_exception_arrives_as_RemoteInvocationException_with_type_message_and_stack()
    {
        await using var pair = await Pair.StartAsync();

        var e = await Assert.ThrowsAsync<RemoteInvocationException>(() => pair.Calculator.ThrowAsync("boom"));

        Assert.Equal("System.InvalidOperationException", e.RemoteType);
        Assert.Equal("boom", e.RemoteMessage);
        Assert.Contains(nameof(Calculator.ThrowAsync), e.RemoteStackTrace);
        // The connection survives a failed call.
        Assert.Equal(42, await pair.Calculator.GetAnswerAsync());
    }

    [Fact]
    public async Task A_thousand_concurrent_calls_on_one_connection_each_get_their_own_answer()
    {
        await using var pair = await Pair.StartAsync();
        var calc = pair.Calculator;

        var calls = Enumerable.Range(0, 1000).Select(i => calc.AddAsync(i, 1_000_000)).ToArray();
        var results = await Task.WhenAll(calls);

        Assert.Equal(Enumerable.Range(1_000_000, 1000), results);
    }

    [Fact]
    public async Task The_server_can_call_back_into_the_client_during_a_call()
    {
        await using var pair = await Pair.StartAsync();

        Assert.Equal("server saw 'HELLO'", await pair.Calculator.CallBackAsync("hello"));
    }

    [Fact]
    public async Task Cancelling_a_call_cancels_the_handlers_token_and_the_caller_sees_cancellation()
    {
        await using var pair = await Pair.StartAsync();
        var probe = Guid.NewGuid().ToString();
        using var cts = new CancellationTokenSource();

        var call = pair.Calculator.WaitUntilCancelledAsync(probe, cts.Token);
        await Task.Delay(50);
        Assert.False(call.IsCompleted);
        cts.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
        await Eventually.TrueAsync(() => Calculator.CancelledProbes.ContainsKey(probe));
    }

    [Fact]
    public async Task A_call_past_the_default_timeout_fails_with_TimeoutException_and_cancels_the_handler()
    {
        await using var pair = await Pair.StartAsync(clientOptions: new IpcOptions { DefaultCallTimeout = TimeSpan.FromMilliseconds(200) });
        var probe = Guid.NewGuid().ToString();

        await Assert.ThrowsAsync<TimeoutException>(() => pair.Calculator.WaitUntilCancelledAsync(probe, CancellationToken.None));

        await Eventually.TrueAsync(() => Calculator.CancelledProbes.ContainsKey(probe));
    }

    [Fact]
    public async Task A_contract_the_server_does_not_handle_fails_with_ContractMismatchException_and_others_keep_working()
    {
        await using var pair = await Pair.StartAsync();

        var e = await Assert.ThrowsAsync<ContractMismatchException>(() => pair.Client.Proxy<IUnhandled>().NobodyAnswersAsync());

        Assert.Equal("test.unhandled", e.Contract);
        Assert.Equal(42, await pair.Calculator.GetAnswerAsync());
    }

    [Fact]
    public async Task When_the_server_goes_away_every_pending_call_fails_with_ChannelFaultedException()
    {
        var pair = await Pair.StartAsync();
        var pending = Enumerable.Range(0, 10).Select(_ => pair.Calculator.DelayAsync(60_000, CancellationToken.None)).ToArray();

        await pair.Server.DisposeAsync();

        foreach (var call in pending)
            await Assert.ThrowsAsync<ChannelFaultedException>(() => call.WaitAsync(TimeSpan.FromSeconds(10)));
        // Later calls fail at once too.
        await Assert.ThrowsAsync<ChannelFaultedException>(() => pair.Calculator.GetAnswerAsync());
        await pair.Client.DisposeAsync();
    }

    [Fact]
    public async Task Payloads_above_the_limit_are_refused_before_sending()
    {
        await using var pair = await Pair.StartAsync(clientOptions: new IpcOptions { MaxPayloadLength = 1024 });

        var e = await Assert.ThrowsAsync<IpcException>(() => pair.Calculator.SizeOfAsync(new byte[4096]));

        Assert.Contains("MaxPayloadLength", e.Message);
        Assert.Equal(42, await pair.Calculator.GetAnswerAsync());
    }

    [Fact]
    public async Task A_24_MB_request_and_response_arrive_byte_for_byte()
    {
        await using var pair = await Pair.StartAsync();
        var payload = Patterns.Bytes(24 * 1024 * 1024, 3);

        var echoed = await pair.Calculator.EchoBytesAsync(payload);

        Assert.True(payload.AsSpan().SequenceEqual(echoed));
    }

    [Fact]
    public async Task Ping_measures_a_round_trip()
    {
        await using var pair = await Pair.StartAsync();

        var rtt = await pair.Client.Connection.PingAsync();

        Assert.True(rtt > TimeSpan.Zero);
    }

    [Fact]
    public async Task Proxy_of_a_type_that_is_not_a_request_contract_is_a_clear_configuration_error()
    {
        await using var pair = await Pair.StartAsync();

        var notContract = Assert.Throws<IpcConfigurationException>(() => pair.Client.Proxy<IDisposable>());
        var wrongKind = Assert.Throws<IpcConfigurationException>(() => pair.Client.Proxy<ITicks>());

        Assert.Contains("System.IDisposable", notContract.Message);
        Assert.Contains("event contract", wrongKind.Message);
    }
}
