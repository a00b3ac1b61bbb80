using IpcContracts.TestContracts;
using IpcContracts.Tests.Support;

namespace IpcContracts.Tests.InProcess;

public sealed class RequestResponseTests
{
    [Fact]
    public async Task A_call_without_a_result_completes_and_its_handler_exception_comes_back()
    {
        await using var pair = await Pair.StartAsync();

        await pair.Calculator.NoResultAsync("fine");
        var e = await Assert.ThrowsAsync<RemoteInvocationException>(() => pair.Calculator.NoResultAsync("fail"));

        Assert.Equal(typeof(ArgumentException).FullName, e.RemoteType);
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
    public async Task Payloads_above_the_limit_are_refused_before_sending()
    {
        await using var pair = await Pair.StartAsync(clientOptions: new IpcOptions { MaxPayloadLength = 1024 });

        var e = await Assert.ThrowsAsync<IpcException>(() => pair.Calculator.SizeOfAsync(new byte[4096]));

        Assert.Contains("MaxPayloadLength", e.Message);
        Assert.Equal(42, await pair.Calculator.GetAnswerAsync());
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
